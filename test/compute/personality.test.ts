/**
 * Personality files (before 2.57): given at create and rebuild, checked
 * against the injected-file quotas (403 with Nova's words), base64 checked by
 * the schema (400), and placed in the guest at spawn.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { uploadImage, computeVersion as at } from './fixtures.js';
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('personality files', () => {
  let cloud: TestCloud;
  let image: string;
  before(async () => {
    cloud = await startTestCloud({ quota: { injected_files: '2', injected_file_path_bytes: '16', injected_file_content_bytes: '64' } });
    image = await uploadImage(cloud);
  });
  after(async () => cloud?.close());

  const create = (personality: unknown, v = '2.56') => cloud.request('POST', '/compute/v2.1/servers', {
    who: 'demo', headers: at(v), body: { server: { name: 'files', imageRef: image, flavorRef: '1', networks: 'none', personality } },
  });
  const files = (id: string) => cloud.fakeDriver!.injectedFiles(id).map((f) => [f.path, f.contents.toString()]);

  test('files given at create reach the guest; a rebuild replaces them', async () => {
    const res = await create([{ path: '/etc/motd', contents: b64('hello') }, { path: '/root/a', contents: b64('a') }]);
    assert.equal(res.status, 202, JSON.stringify(res.json));
    const id = res.json.server.id;
    await cloud.waitForServer(id, 'ACTIVE', 'demo');
    assert.deepEqual(files(id), [['/etc/motd', 'hello'], ['/root/a', 'a']]);

    const rebuilt = await cloud.request('POST', `/compute/v2.1/servers/${id}/action`, {
      who: 'demo', headers: at('2.56'), body: { rebuild: { imageRef: image, personality: [{ path: '/etc/new', contents: b64('again') }] } },
    });
    assert.equal(rebuilt.status, 202, JSON.stringify(rebuilt.json));
    await cloud.waitForServer(id, 'ACTIVE', 'demo');
    assert.deepEqual(files(id), [['/etc/new', 'again']]);
  });

  test('over the quotas is 403 in Nova\'s words, and no server is made', async () => {
    const before = (await cloud.request('GET', '/compute/v2.1/servers', { who: 'demo' })).json.servers.length;
    const cases: Array<[unknown, string]> = [
      [[1, 2, 3].map((i) => ({ path: `/f${i}`, contents: b64('x') })), 'Personality file limit exceeded'],
      [[{ path: '/a/path/longer/than/sixteen', contents: b64('x') }], 'Personality file path exceeds maximum 16'],
      [[{ path: '/big', contents: b64('y'.repeat(100)) }], 'Personality file content exceeds maximum 64'],
    ];
    for (const [personality, message] of cases) {
      const res = await create(personality);
      assert.equal(res.status, 403, JSON.stringify(res.json));
      assert.equal(res.json.forbidden.message, message);
    }
    assert.equal((await cloud.request('GET', '/compute/v2.1/servers', { who: 'demo' })).json.servers.length, before);
  });

  test('contents that are not base64 are 400; from 2.57 personality is not accepted at all', async () => {
    const bad = await create([{ path: '/x', contents: 'This is not a base64 string.' }]);
    assert.equal(bad.status, 400);
    assert.match(bad.json.badRequest.message, /contents/);
    const gone = await create([{ path: '/x', contents: b64('x') }], '2.57');
    assert.equal(gone.status, 400);
    assert.match(gone.json.badRequest.message, /'personality' was unexpected/);
  });
});
