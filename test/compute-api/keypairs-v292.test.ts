/** 2.92: key pairs are imported only (the public key is required), and names may hold @ and dots. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateEd25519KeyPair } from '../../src/compute/ssh-keys.js';
import { buildComputeApi, headers, targets, type TestApi } from './app.js';

for (const target of targets) {
  describe(`keypairs at 2.92 (${target.name})`, () => {
    let api: TestApi;
    before(async () => { api = await buildComputeApi(target); });
    after(async () => api.close());

    const post = (version: string, keypair: Record<string, unknown>) =>
      api.app.inject({ method: 'POST', url: '/compute/v2.1/os-keypairs', headers: headers('demo', version), payload: { keypair } });
    const names = async () => (await api.app.inject({ method: 'GET', url: '/compute/v2.1/os-keypairs', headers: headers('demo', '2.92') }))
      .json().keypairs.map((k: { keypair: { name: string } }) => k.keypair.name);

    test('2.91 still generates a key pair; 2.92 refuses to, with a schema error, and stores nothing', async () => {
      const generated = await post('2.91', { name: 'made-by-server' });
      assert.equal(generated.statusCode, 201);
      assert.match(generated.json().keypair.private_key, /PRIVATE KEY/);
      const refused = await post('2.92', { name: 'not-made' });
      assert.equal(refused.statusCode, 400);
      assert.match(refused.json().badRequest.message, /'public_key' is a required property/);
      assert.ok(!(await names()).includes('not-made'));
    });

    test('2.92 imports, and the answer has no private key', async () => {
      const kp = generateEd25519KeyPair();
      const res = await post('2.92', { name: 'imported', public_key: kp.publicKey });
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(res.json().keypair.fingerprint, kp.fingerprint);
      assert.ok(!('private_key' in res.json().keypair));
    });

    test('names with @ and . are refused before 2.92 and taken from it', async () => {
      const kp = generateEd25519KeyPair();
      assert.equal((await post('2.91', { name: 'me@laptop.example', public_key: kp.publicKey })).statusCode, 400);
      const res = await post('2.92', { name: 'me@laptop.example', public_key: kp.publicKey });
      assert.equal(res.statusCode, 201, res.body);
      assert.ok((await names()).includes('me@laptop.example'));
      // Other punctuation stays out.
      assert.equal((await post('2.92', { name: 'a/b', public_key: kp.publicKey })).statusCode, 400);
    });
  });
}
