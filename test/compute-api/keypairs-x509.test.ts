/** x509 key pairs generated at 2.2, as Nova makes them: a private key and a self-signed certificate. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { TEST_AUTH } from '../helpers/auth.js';
import { buildComputeApi, headers, targets, type TestApi } from './app.js';

const BASE = '/compute/v2.1';

for (const target of targets) {
  describe(`x509 keypairs (${target.name})`, () => {
    let api: TestApi;
    before(async () => { api = await buildComputeApi(target); });
    after(async () => api.close());

    test('create with type x509 returns a certificate for the user, its private key and its SHA-1 fingerprint', async () => {
      const res = await api.app.inject({ method: 'POST', url: `${BASE}/os-keypairs`, headers: headers('demo', '2.2'), payload: { keypair: { name: 'cert', type: 'x509' } } });
      assert.equal(res.statusCode, 201, res.body);
      const kp = res.json().keypair;
      assert.equal(kp.type, 'x509');
      assert.match(kp.private_key, /^-----BEGIN PRIVATE KEY-----/);
      const cert = new X509Certificate(kp.public_key);
      assert.equal(cert.subject, `CN=${TEST_AUTH.demo.userId}`);
      assert.equal(kp.fingerprint, cert.fingerprint.toLowerCase());
      assert.ok(cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(kp.private_key)));

      const shown = (await api.app.inject({ method: 'GET', url: `${BASE}/os-keypairs/cert`, headers: headers('demo', '2.2') })).json().keypair;
      assert.equal(shown.type, 'x509');
      assert.equal(shown.public_key, kp.public_key);
      assert.equal(Object.hasOwn(shown, 'private_key'), false);
    });
  });
}
