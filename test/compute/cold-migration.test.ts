/**
 * Cold migration between two fake hosts (allow_resize_to_same_host off):
 * migrate goes through the scheduler to the other host (or the named one at
 * 2.56) into VERIFY_RESIZE, the migration record holding the source's
 * allocation and the server the destination's; confirm cleans the source,
 * revert brings the server back there.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import type { ComputeDb } from '../../src/compute/db/tables.js';
import { allocationsOf, bootActive, portsOf, privateNetworkId, uploadImage, V237, computeVersion as mv } from './fixtures.js';
import { healAllocations } from '../../src/compute/heal-allocations.js';
import { testLogger } from '../helpers/logger.js';

describe('cold migration between hosts', () => {
  let cloud: TestCloud;
  let image: string;
  before(async () => {
    cloud = await startTestCloud({}, { fakeHosts: 2 });
    image = await uploadImage(cloud);
  });
  after(async () => cloud?.close());

  const act = (id: string, body: unknown, version = '2.1', who: 'admin' | 'demo' = 'admin') =>
    cloud.request('POST', `/compute/v2.1/servers/${id}/action`, { who, body, headers: mv(version) });
  const boot = (name: string) => bootActive(cloud, { name, imageRef: image, flavorRef: '1', networks: 'none' }, 'demo', V237);
  const hostOf = async (id: string) => (await cloud.request('GET', `/compute/v2.1/servers/${id}`)).json.server['OS-EXT-SRV-ATTR:host'] as string;
  const providerOf = async (host: string) => (await cloud.request('GET', `/placement/resource_providers?name=${host}`)).json.resource_providers[0].uuid as string;
  const lastMigration = async (id: string) =>
    (await (cloud.database.db as ComputeDb).selectFrom('migrations').selectAll().where('instance_uuid', '=', id).orderBy('id').execute()).at(-1)!;
  const guestsOn = async (host: string) => cloud.hosts.find((h) => h.host === host)!.fakeDriver!.listInstances();

  test('migrate moves the server to the other host; the migration holds the source allocation until confirm, which cleans the source', async () => {
    const server = await boot('cold');
    const source = await hostOf(server.id);
    assert.equal((await act(server.id, { migrate: null })).status, 202);
    const moved = await cloud.waitForServer(server.id, 'VERIFY_RESIZE', 'demo');
    const dest = (await cloud.request('GET', `/compute/v2.1/servers/${server.id}`)).json.server['OS-EXT-SRV-ATTR:host'];
    assert.notEqual(dest, source);
    assert.equal(moved.flavor.id, '1');
    const m = await lastMigration(server.id);
    assert.equal(m.migration_type, 'migration');
    assert.equal(m.status, 'finished');
    assert.deepEqual(Object.keys(await allocationsOf(cloud, server.id)), [await providerOf(dest)]);
    assert.deepEqual(Object.keys(await allocationsOf(cloud, m.uuid)), [await providerOf(source)]);
    assert.ok((await guestsOn(dest)).includes(server.id));
    // The start-up audit sees the migration's allocation as held, not as an orphan.
    const report = await healAllocations({ db: cloud.database.db as ComputeDb, placement: cloud.services.placement, network: cloud.services.network, logger: testLogger }, { dryRun: true });
    assert.ok(!report.orphanAllocations.some((o) => o.consumer === m.uuid), JSON.stringify(report.orphanAllocations));

    assert.equal((await act(server.id, { confirmResize: null }, '2.1', 'demo')).status, 204);
    await cloud.waitForServer(server.id, 'ACTIVE', 'demo');
    assert.equal((await lastMigration(server.id)).status, 'confirmed');
    assert.deepEqual(await allocationsOf(cloud, m.uuid), {});
    assert.ok(!(await guestsOn(source)).includes(server.id));
    assert.equal(await hostOf(server.id), dest);
  });

  test('revert brings the server back to its source with its allocation there; the destination keeps nothing', async () => {
    const server = await boot('cold-revert');
    const source = await hostOf(server.id);
    const dest = cloud.hosts.map((h) => h.host).find((h) => h !== source)!;
    const res = await act(server.id, { migrate: { host: dest } }, '2.56');
    assert.equal(res.status, 202, JSON.stringify(res.json));
    await cloud.waitForServer(server.id, 'VERIFY_RESIZE', 'demo');
    assert.equal(await hostOf(server.id), dest);
    assert.equal((await act(server.id, { revertResize: null }, '2.1', 'demo')).status, 202);
    await cloud.waitForServer(server.id, 'ACTIVE', 'demo');
    assert.equal(await hostOf(server.id), source);
    const m = await lastMigration(server.id);
    assert.equal(m.status, 'reverted');
    assert.deepEqual(Object.keys(await allocationsOf(cloud, server.id)), [await providerOf(source)]);
    assert.deepEqual(await allocationsOf(cloud, m.uuid), {});
    assert.ok(!(await guestsOn(dest)).includes(server.id));
    assert.ok((await guestsOn(source)).includes(server.id));
  });

  test('the server\'s ports are bound to the destination when the migration finishes, and to the source again on revert', async () => {
    const server = await bootActive(cloud, { name: 'cold-port', imageRef: image, flavorRef: '1', networks: [{ uuid: await privateNetworkId(cloud) }] }, 'demo', V237);
    const source = await hostOf(server.id);
    const bound = async () => (await portsOf(cloud, server.id)).map((p) => p['binding:host_id']);
    assert.deepEqual(await bound(), [source]);
    assert.equal((await act(server.id, { migrate: null })).status, 202);
    await cloud.waitForServer(server.id, 'VERIFY_RESIZE', 'demo');
    const dest = await hostOf(server.id);
    assert.notEqual(dest, source);
    assert.deepEqual(await bound(), [dest]);
    assert.equal((await act(server.id, { revertResize: null }, '2.1', 'demo')).status, 202);
    await cloud.waitForServer(server.id, 'ACTIVE', 'demo');
    assert.deepEqual(await bound(), [source]);
  });

  test('a host named at 2.56 is still checked by the scheduler\'s filters: disabled, the migration is a 400 NoValidHost', async () => {
    const server = await boot('cold-requested');
    const source = await hostOf(server.id);
    const target = cloud.hosts.map((h) => h.host).find((h) => h !== source)!;
    const service = (enable: boolean) =>
      cloud.request('PUT', `/compute/v2.1/os-services/${enable ? 'enable' : 'disable'}`, { body: { host: target, binary: 'nova-compute' } });
    assert.equal((await service(false)).status, 200);
    try {
      const res = await act(server.id, { migrate: { host: target } }, '2.56');
      assert.equal(res.status, 400, JSON.stringify(res.json));
      assert.match(res.json.badRequest.message, /No valid host/);
      assert.equal(await hostOf(server.id), source);
    } finally {
      assert.equal((await service(true)).status, 200);
    }
  });

  test('to its own host it is 400 NoValidHost (the current host is excluded); a paused server is a 409; a member gets 403', async () => {
    const server = await boot('cold-refused');
    const source = await hostOf(server.id);
    const self = await act(server.id, { migrate: { host: source } }, '2.56');
    assert.equal(self.status, 400, JSON.stringify(self.json));
    assert.match(self.json.badRequest.message, /No valid host/);
    assert.equal((await act(server.id, { migrate: null }, '2.1', 'demo')).status, 403);
    assert.equal((await act(server.id, { pause: null }, '2.1', 'demo')).status, 202);
    await cloud.waitForServer(server.id, 'PAUSED', 'demo');
    assert.equal((await act(server.id, { migrate: null })).status, 409);
    assert.equal(await hostOf(server.id), source);
  });
});
