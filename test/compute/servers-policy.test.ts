/** A project never sees or touches another project's servers; admin-only views stay admin-only. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { bootActive, uploadImage, V237 } from './fixtures.js';

describe('servers policy', () => {
  let cloud: TestCloud;
  let adminServer: any;
  let demoServer: any;

  before(async () => {
    cloud = await startTestCloud();
    const image = await uploadImage(cloud);
    adminServer = await bootActive(cloud, { name: 'admins', imageRef: image, flavorRef: '1', networks: 'none' }, 'admin', V237);
    demoServer = await bootActive(cloud, { name: 'demos', imageRef: image, flavorRef: '1', networks: 'auto' }, 'demo', V237);
  });
  after(async () => cloud?.close());

  test('the demo project lists only its own servers', async () => {
    const list = await cloud.request('GET', '/compute/v2.1/servers/detail', { who: 'demo' });
    assert.equal(list.status, 200);
    assert.deepEqual(list.json.servers.map((s: any) => s.id), [demoServer.id]);
  });

  test("another project's server does not exist for demo: show, update, delete, metadata, actions are 404", async () => {
    const id = adminServer.id;
    for (const [method, path, body] of [
      ['GET', `/compute/v2.1/servers/${id}`, undefined],
      ['PUT', `/compute/v2.1/servers/${id}`, { server: { name: 'pwned' } }],
      ['DELETE', `/compute/v2.1/servers/${id}`, undefined],
      ['GET', `/compute/v2.1/servers/${id}/metadata`, undefined],
      ['POST', `/compute/v2.1/servers/${id}/action`, { 'os-stop': null }],
      ['GET', `/compute/v2.1/servers/${id}/os-instance-actions`, undefined],
    ] as const) {
      const res = await cloud.request(method, path, { who: 'demo', body });
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(res.json.itemNotFound.code, 404);
    }
    const still = await cloud.request('GET', `/compute/v2.1/servers/${id}`);
    assert.equal(still.json.server.name, 'admins');
    assert.equal(still.json.server.status, 'ACTIVE');
  });

  test('all_tenants is admin only', async () => {
    const demo = await cloud.request('GET', '/compute/v2.1/servers?all_tenants=1', { who: 'demo' });
    assert.equal(demo.status, 403);
    assert.match(demo.json.forbidden.message, /get_all_tenants/);
    const admin = await cloud.request('GET', '/compute/v2.1/servers?all_tenants=1');
    const ids = admin.json.servers.map((s: any) => s.id);
    assert.ok(ids.includes(adminServer.id) && ids.includes(demoServer.id));
    const own = await cloud.request('GET', '/compute/v2.1/servers');
    assert.deepEqual(own.json.servers.map((s: any) => s.id), [adminServer.id]);
  });

  test('extended server attributes are shown to admin only', async () => {
    const demo = await cloud.request('GET', `/compute/v2.1/servers/${demoServer.id}`, { who: 'demo' });
    assert.equal(demo.json.server['OS-EXT-SRV-ATTR:host'], undefined);
    const admin = await cloud.request('GET', `/compute/v2.1/servers/${demoServer.id}`);
    assert.equal(typeof admin.json.server['OS-EXT-SRV-ATTR:host'], 'string');
  });

  test('no token is 401 with the compute error body', async () => {
    const res = await cloud.request('GET', '/compute/v2.1/servers', { who: null });
    assert.equal(res.status, 401);
    assert.equal(res.json.unauthorized.code, 401);
  });
});
