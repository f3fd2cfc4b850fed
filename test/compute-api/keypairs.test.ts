import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { getKeyPair } from '../../src/compute/keypairs.js';
import { generateEd25519KeyPair } from '../../src/compute/ssh-keys.js';
import { ApiError } from '../../src/errors.js';
import { TEST_AUTH } from '../helpers/auth.js';
import { buildComputeApi, headers, targets, type TestApi } from './app.js';

const BASE = '/compute/v2.1';
type Who = 'admin' | 'demo' | 'other' | 'reader';

for (const target of targets) {
  describe(`keypairs (${target.name})`, () => {
    let api: TestApi;
    before(async () => { api = await buildComputeApi(target, { quota: { key_pairs: 5 } }); });
    after(async () => api.close());

    const req = (method: 'GET' | 'POST' | 'DELETE', url: string, who: Who, version?: string, payload?: unknown) =>
      api.app.inject({ method, url: BASE + url, headers: headers(who, version), ...(payload === undefined ? {} : { payload: payload as object }) });

    test('import stores the key with Nova\'s fingerprint; 2.1 answers 200 without type', async () => {
      const kp = generateEd25519KeyPair();
      const res = await req('POST', '/os-keypairs', 'demo', undefined, { keypair: { name: 'imported', public_key: kp.publicKey } });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), {
        keypair: { name: 'imported', public_key: kp.publicKey, fingerprint: kp.fingerprint, user_id: TEST_AUTH.demo.userId },
      });
      const row = await getKeyPair(api.db, TEST_AUTH.demo.userId, 'imported');
      assert.equal(row.fingerprint, kp.fingerprint);
      assert.equal(row.type, 'ssh');
    });

    test('create without a public key generates one and returns the private key once (201 from 2.2)', async () => {
      const res = await req('POST', '/os-keypairs', 'demo', '2.2', { keypair: { name: 'generated' } });
      assert.equal(res.statusCode, 201);
      const k = res.json().keypair;
      assert.match(k.private_key, /BEGIN OPENSSH PRIVATE KEY/);
      assert.equal(k.type, 'ssh');
      assert.match(k.fingerprint, /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
      const shown = (await req('GET', '/os-keypairs/generated', 'demo', '2.2')).json().keypair;
      assert.equal(shown.private_key, undefined);
      assert.equal(shown.public_key, k.public_key);
      assert.equal(shown.type, 'ssh');
      assert.equal(shown.deleted, false);
      assert.equal(shown.deleted_at, null);
      assert.equal(typeof shown.id, 'number');
      assert.match(shown.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    });

    test('show and list before 2.2 have no type', async () => {
      const shown = (await req('GET', '/os-keypairs/imported', 'demo')).json().keypair;
      assert.ok(!('type' in shown));
      const list = (await req('GET', '/os-keypairs', 'demo')).json();
      assert.deepEqual(Object.keys(list.keypairs[0].keypair).sort(), ['fingerprint', 'name', 'public_key']);
      const list22 = (await req('GET', '/os-keypairs', 'demo', '2.2')).json();
      assert.deepEqual(Object.keys(list22.keypairs[0].keypair).sort(), ['fingerprint', 'name', 'public_key', 'type']);
    });

    test('key pairs are per user: another user neither sees nor deletes them', async () => {
      const names = (await req('GET', '/os-keypairs', 'other')).json().keypairs;
      assert.deepEqual(names, []);
      const show = await req('GET', '/os-keypairs/imported', 'other');
      assert.equal(show.statusCode, 404);
      assert.deepEqual(show.json(), { itemNotFound: { code: 404, message: `Keypair imported not found for user ${TEST_AUTH.other.userId}` } });
      assert.equal((await req('DELETE', '/os-keypairs/imported', 'other', '2.2')).statusCode, 404);
      // The same name is free for another user.
      const mine = await req('POST', '/os-keypairs', 'other', '2.2', { keypair: { name: 'imported', public_key: generateEd25519KeyPair().publicKey } });
      assert.equal(mine.statusCode, 201);
    });

    test('2.10: admin acts for another user_id; a user cannot', async () => {
      const pub = generateEd25519KeyPair().publicKey;
      const forDemo = await req('POST', '/os-keypairs', 'admin', '2.10', { keypair: { name: 'from-admin', public_key: pub, user_id: TEST_AUTH.demo.userId } });
      assert.equal(forDemo.statusCode, 201);
      assert.equal(forDemo.json().keypair.user_id, TEST_AUTH.demo.userId);
      const listed = (await req('GET', `/os-keypairs?user_id=${TEST_AUTH.demo.userId}`, 'admin', '2.10')).json().keypairs;
      assert.ok(listed.some((k: { keypair: { name: string } }) => k.keypair.name === 'from-admin'));
      const denied = await req('GET', `/os-keypairs?user_id=${TEST_AUTH.demo.userId}`, 'other', '2.10');
      assert.equal(denied.statusCode, 403);
      assert.equal(denied.json().forbidden.message, "Policy doesn't allow os_compute_api:os-keypairs:index to be performed.");
      const deniedCreate = await req('POST', '/os-keypairs', 'other', '2.10', { keypair: { name: 'x', public_key: pub, user_id: TEST_AUTH.demo.userId } });
      assert.equal(deniedCreate.statusCode, 403);
      // Before 2.10 user_id is not a known property.
      assert.equal((await req('POST', '/os-keypairs', 'admin', '2.9', { keypair: { name: 'y', public_key: pub, user_id: 'u' } })).statusCode, 400);
      // ... and ?user_id= is ignored.
      const own = (await req('GET', `/os-keypairs?user_id=${TEST_AUTH.demo.userId}`, 'other', '2.9')).json().keypairs;
      assert.ok(!own.some((k: { keypair: { name: string } }) => k.keypair.name === 'from-admin'));
      const del = await req('DELETE', `/os-keypairs/from-admin?user_id=${TEST_AUTH.demo.userId}`, 'admin', '2.10');
      assert.equal(del.statusCode, 204);
    });

    test('2.35 pages by name with a next link', async () => {
      const page = await req('GET', '/os-keypairs?limit=1', 'demo', '2.35');
      const body = page.json();
      assert.equal(body.keypairs.length, 1);
      assert.equal(body.keypairs[0].keypair.name, 'generated');
      assert.equal(body.keypairs_links[0].href, 'http://localhost:80/compute/v2.1/os-keypairs?limit=1&marker=generated');
      const next = (await req('GET', '/os-keypairs?limit=1&marker=generated', 'demo', '2.35')).json();
      assert.equal(next.keypairs[0].keypair.name, 'imported');
      const bad = await req('GET', '/os-keypairs?marker=nope', 'demo', '2.35');
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().badRequest.message, 'Marker nope could not be found.');
      // Before 2.35 limit is ignored.
      assert.equal((await req('GET', '/os-keypairs?limit=1', 'demo', '2.34')).json().keypairs.length, 2);
      assert.equal((await req('GET', '/os-keypairs?foo=1', 'demo', '2.75')).statusCode, 400);
    });

    test('bad key is 400, duplicate is 409', async () => {
      const bad = await req('POST', '/os-keypairs', 'demo', '2.2', { keypair: { name: 'bad', public_key: 'ssh-rsa not-a-key' } });
      assert.equal(bad.statusCode, 400);
      assert.deepEqual(bad.json(), { badRequest: { code: 400, message: 'Keypair data is invalid: failed to generate fingerprint' } });
      const dup = await req('POST', '/os-keypairs', 'demo', '2.2', { keypair: { name: 'imported', public_key: generateEd25519KeyPair().publicKey } });
      assert.equal(dup.statusCode, 409);
      assert.deepEqual(dup.json(), { conflictingRequest: { code: 409, message: "Key pair 'imported' already exists." } });
      await assert.rejects(getKeyPair(api.db, TEST_AUTH.demo.userId, 'bad'), (e: ApiError) => e.status === 404);
    });

    test('names and bodies are validated as Nova does', async () => {
      for (const payload of [
        { keypair: { name: '' } }, { keypair: { name: ' lead' } }, { keypair: { name: 'a/b' } }, { keypair: { name: 'x'.repeat(256) } },
        { keypair: { name: 5 } }, { keypair: {} }, { keypair: { name: 'ok', public_key: 7 } }, { keypair: { name: 'ok', type: 'pgp' } },
        { keypair: { name: 'ok', extra: 1 } }, { keypairs: { name: 'ok' } }, [],
      ]) {
        const res = await req('POST', '/os-keypairs', 'demo', '2.2', payload);
        assert.equal(res.statusCode, 400, JSON.stringify(payload));
        assert.equal(res.json().badRequest.code, 400);
      }
      const malformed = await api.app.inject({
        method: 'POST', url: `${BASE}/os-keypairs`, headers: { ...headers('demo'), 'content-type': 'application/json' }, payload: '{',
      });
      assert.equal(malformed.statusCode, 400);
    });

    test('over conf.quota.key_pairs is 403 with Nova\'s quota message, and nothing is stored', async () => {
      // demo has 'imported' and 'generated'; the quota is 5.
      for (const name of ['q1', 'q2', 'q3']) {
        assert.equal((await req('POST', '/os-keypairs', 'demo', '2.2', { keypair: { name } })).statusCode, 201);
      }
      const over = await req('POST', '/os-keypairs', 'demo', '2.2', { keypair: { name: 'q4' } });
      assert.equal(over.statusCode, 403);
      assert.deepEqual(over.json(), { forbidden: { code: 403, message: 'Quota exceeded, too many key pairs.' } });
      await assert.rejects(getKeyPair(api.db, TEST_AUTH.demo.userId, 'q4'));
    });

    test('delete answers 202 before 2.2 and 204 from it; then the key is gone', async () => {
      assert.equal((await req('DELETE', '/os-keypairs/q1', 'demo')).statusCode, 202);
      const res = await req('DELETE', '/os-keypairs/q2', 'demo', '2.2');
      assert.equal(res.statusCode, 204);
      assert.equal(res.body, '');
      assert.equal((await req('GET', '/os-keypairs/q2', 'demo')).statusCode, 404);
      assert.equal((await req('DELETE', '/os-keypairs/q2', 'demo')).statusCode, 404);
    });
  });
}
