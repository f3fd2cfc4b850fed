/**
 * os-migrateLive between two fake hosts: the server stays ACTIVE (or PAUSED)
 * with task_state migrating and ends on the other host; its migration record
 * (live-migration) goes accepted → ... → completed; the allocation moves to
 * the destination. /servers/{id}/migrations lists and shows a migration in
 * progress, force_complete finishes it, abort leaves the server where it was.
 * Nova's 400s per microversion, 403 for a member, 409 in the wrong state.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import type { ComputeDb } from '../../src/compute/db/tables.js';
import { allocationsOf, bootActive, uploadImage, V237, computeVersion as mv } from './fixtures.js';

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function suite(name: string, overrides: Record<string, Record<string, string>>, body: (get: () => TestCloud, image: () => string) => void) {
  describe(name, () => {
    let cloud: TestCloud;
    let image: string;
    before(async () => {
      cloud = await startTestCloud(overrides, { fakeHosts: 2 });
      image = await uploadImage(cloud);
    });
    after(async () => cloud?.close());
    body(() => cloud, () => image);
  });
}

const hostOf = async (cloud: TestCloud, id: string) => (await cloud.request('GET', `/compute/v2.1/servers/${id}`)).json.server['OS-EXT-SRV-ATTR:host'] as string;
const providerOf = async (cloud: TestCloud, host: string) =>
  (await cloud.request('GET', `/placement/resource_providers?name=${encodeURIComponent(host)}`)).json.resource_providers[0].uuid as string;
const migrationsOf = (cloud: TestCloud, id: string) =>
  (cloud.database.db as ComputeDb).selectFrom('migrations').selectAll().where('instance_uuid', '=', id).orderBy('id').execute();
const act = (cloud: TestCloud, id: string, body: unknown, version = '2.25', who: 'admin' | 'demo' = 'admin') =>
  cloud.request('POST', `/compute/v2.1/servers/${id}/action`, { who, body, headers: mv(version) });

async function idle(cloud: TestCloud, id: string): Promise<any> {
  return until(`server ${id} idle`, async () => {
    const s = (await cloud.request('GET', `/compute/v2.1/servers/${id}`)).json.server;
    return s['OS-EXT-STS:task_state'] === null ? s : undefined;
  });
}

suite('live migration', {}, (get, image) => {
  const boot = (name: string, who: 'admin' | 'demo' = 'demo') => bootActive(get(), { name, imageRef: image(), flavorRef: '1', networks: 'none' }, who, V237);

  test('the scheduler picks the other host; the server ends there ACTIVE, the migration completed, the allocation moved', async () => {
    const cloud = get();
    const server = await boot('lm');
    const source = await hostOf(cloud, server.id);
    const res = await act(cloud, server.id, { 'os-migrateLive': { host: null, block_migration: 'auto' } });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    const done = await idle(cloud, server.id);
    const dest = done['OS-EXT-SRV-ATTR:host'];
    assert.notEqual(dest, source);
    assert.equal(done.status, 'ACTIVE');
    const [m] = await migrationsOf(cloud, server.id);
    assert.equal(m.migration_type, 'live-migration');
    assert.equal(m.status, 'completed');
    assert.equal(m.source_compute, source);
    assert.equal(m.dest_compute, dest);
    assert.deepEqual(Object.keys(await allocationsOf(cloud, server.id)), [await providerOf(cloud, dest)]);
    assert.deepEqual(await allocationsOf(cloud, m.uuid), {});
    const byHost = Object.fromEntries(cloud.hosts.map((h) => [h.host, h.fakeDriver!]));
    assert.ok(!(await byHost[source].listInstances()).includes(server.id));
    assert.ok((await byHost[dest].listInstances()).includes(server.id));
    const listed = (await cloud.request('GET', `/compute/v2.1/os-migrations?instance_uuid=${server.id}`, { headers: mv('2.23') })).json.migrations;
    assert.equal(listed[0].migration_type, 'live-migration');
  });

  test('a paused server stays PAUSED on its new host; forced to a named host at 2.30 it goes there without the scheduler', async () => {
    const cloud = get();
    const server = await boot('paused-lm');
    assert.equal((await act(cloud, server.id, { pause: null }, '2.1', 'demo')).status, 202);
    await cloud.waitForServer(server.id, 'PAUSED', 'demo');
    const source = await hostOf(cloud, server.id);
    const target = cloud.hosts.map((h) => h.host).find((h) => h !== source)!;
    const res = await act(cloud, server.id, { 'os-migrateLive': { host: target, block_migration: true, force: true } }, '2.30');
    assert.equal(res.status, 202, JSON.stringify(res.json));
    const done = await idle(cloud, server.id);
    assert.equal(done.status, 'PAUSED');
    assert.equal(done['OS-EXT-SRV-ATTR:host'], target);
    assert.equal(done['OS-EXT-STS:power_state'], 3);
  });

  test('a host asked for without force is still checked by the scheduler\'s filters: disabled, the migration is a 400 NoValidHost', async () => {
    const cloud = get();
    const server = await boot('lm-requested');
    const source = await hostOf(cloud, server.id);
    const target = cloud.hosts.map((h) => h.host).find((h) => h !== source)!;
    const service = (enable: boolean) =>
      cloud.request('PUT', `/compute/v2.1/os-services/${enable ? 'enable' : 'disable'}`, { body: { host: target, binary: 'nova-compute' } });
    assert.equal((await service(false)).status, 200);
    try {
      const res = await act(cloud, server.id, { 'os-migrateLive': { host: target, block_migration: 'auto' } }, '2.30');
      assert.equal(res.status, 400, JSON.stringify(res.json));
      assert.match(res.json.badRequest.message, /No valid host/);
      assert.equal((await idle(cloud, server.id))['OS-EXT-SRV-ATTR:host'], source);
    } finally {
      assert.equal((await service(true)).status, 200);
    }
  });

  test('the server\'s ports are bound on the destination afterwards, a trunk\'s subports with its parent', async () => {
    const cloud = get();
    const net = async (cidr: string) => {
      const n = (await cloud.request('POST', '/network/v2.0/networks', { who: 'demo', body: { network: { name: 'lm-trunk' } } })).json.network.id;
      assert.equal((await cloud.request('POST', '/network/v2.0/subnets', { who: 'demo', body: { subnet: { network_id: n, ip_version: 4, cidr } } })).status, 201);
      return n as string;
    };
    const newPort = async (networkId: string) =>
      (await cloud.request('POST', '/network/v2.0/ports', { who: 'demo', body: { port: { network_id: networkId } } })).json.port.id as string;
    const parent = await newPort(await net('10.88.0.0/24'));
    const sub = await newPort(await net('10.89.0.0/24'));
    const made = await cloud.request('POST', '/network/v2.0/trunks', { who: 'demo', body: { trunk: { port_id: parent, sub_ports: [{ port_id: sub, segmentation_type: 'vlan', segmentation_id: 42 }] } } });
    assert.equal(made.status, 201, JSON.stringify(made.json));
    const portOf = async (id: string) => (await cloud.request('GET', `/network/v2.0/ports/${id}`)).json.port;

    const server = await bootActive(cloud, { name: 'lm-trunk', imageRef: image(), flavorRef: '1', networks: [{ port: parent }] }, 'demo', V237);
    const source = await hostOf(cloud, server.id);
    // ACTIVE by the time the server is, with no wait.
    for (const id of [parent, sub]) {
      const p = await portOf(id);
      assert.equal(p.status, 'ACTIVE');
      assert.equal(p['binding:host_id'], source);
    }
    assert.equal((await act(cloud, server.id, { 'os-migrateLive': { host: null, block_migration: 'auto' } })).status, 202);
    const dest = (await idle(cloud, server.id))['OS-EXT-SRV-ATTR:host'];
    assert.notEqual(dest, source);
    for (const id of [parent, sub]) {
      const p = await portOf(id);
      assert.equal(p.status, 'ACTIVE');
      assert.equal(p['binding:host_id'], dest);
    }
    assert.equal((await cloud.request('GET', `/network/v2.0/trunks/${made.json.trunk.id}`)).json.trunk.status, 'ACTIVE');
  });

  test('bad input is a 400 per microversion, and nothing changes', async () => {
    const cloud = get();
    const server = await boot('lm-bad');
    const source = await hostOf(cloud, server.id);
    const cases: Array<[string, unknown]> = [
      ['2.1', { 'os-migrateLive': { host: null, block_migration: false } }],
      ['2.1', { 'os-migrateLive': { host: null, block_migration: 'auto', disk_over_commit: false } }],
      ['2.25', { 'os-migrateLive': { host: null, block_migration: 'auto', disk_over_commit: false } }],
      ['2.25', { 'os-migrateLive': { host: null, block_migration: 'auto', force: true } }],
      ['2.30', { 'os-migrateLive': { host: null, block_migration: 'auto', force: true } }],
      ['2.68', { 'os-migrateLive': { host: null, block_migration: 'auto', force: false } }],
      ['2.25', { 'os-migrateLive': { host: 5, block_migration: 'auto' } }],
      ['2.25', { 'os-migrateLive': { host: 'no-such-host', block_migration: 'auto' } }],
      ['2.25', { 'os-migrateLive': { host: source, block_migration: 'auto' } }],
    ];
    for (const [version, body] of cases) {
      const res = await act(cloud, server.id, body, version);
      assert.equal(res.status, 400, `${version} ${JSON.stringify(body)}: ${res.status} ${JSON.stringify(res.json)}`);
      assert.equal(typeof res.json.badRequest.message, 'string');
    }
    const after = await idle(cloud, server.id);
    assert.equal(after.status, 'ACTIVE');
    assert.equal(after['OS-EXT-SRV-ATTR:host'], source);
    assert.ok((await migrationsOf(cloud, server.id)).every((m) => m.status === 'error'));
  });

  test('at 2.34 a refused migration is accepted (202) and ends in error, the server ACTIVE where it was', async () => {
    const cloud = get();
    const server = await boot('lm-async');
    const source = await hostOf(cloud, server.id);
    const res = await act(cloud, server.id, { 'os-migrateLive': { host: source, block_migration: 'auto' } }, '2.34');
    assert.equal(res.status, 202);
    const after = await idle(cloud, server.id);
    assert.equal(after.status, 'ACTIVE');
    assert.equal(after['OS-EXT-SRV-ATTR:host'], source);
    assert.equal((await migrationsOf(cloud, server.id)).at(-1)!.status, 'error');
  });

  test('a member may not live-migrate (403); a stopped server cannot be (409); another project\'s server is a 404 for a member', async () => {
    const cloud = get();
    const server = await boot('lm-policy');
    assert.equal((await act(cloud, server.id, { 'os-migrateLive': { host: null, block_migration: 'auto' } }, '2.25', 'demo')).status, 403);
    assert.equal((await act(cloud, server.id, { 'os-stop': null }, '2.1', 'demo')).status, 202);
    await cloud.waitForServer(server.id, 'SHUTOFF', 'demo');
    const stopped = await act(cloud, server.id, { 'os-migrateLive': { host: null, block_migration: 'auto' } });
    assert.equal(stopped.status, 409, JSON.stringify(stopped.json));
    const admins = await boot('lm-admins', 'admin');
    assert.equal((await act(cloud, admins.id, { 'os-migrateLive': { host: null, block_migration: 'auto' } }, '2.25', 'demo')).status, 404);
    assert.equal((await cloud.request('GET', `/compute/v2.1/servers/${server.id}/migrations`, { who: 'demo', headers: mv('2.23') })).status, 403);
  });
});

// The fake copy takes a minute here, so the migration is seen running; force_complete and abort cut it short.
suite('a live migration in progress', { fake_driver: { action_delay_ms: '60000' } }, (get, image) => {
  const boot = (name: string) => bootActive(get(), { name, imageRef: image(), flavorRef: '1', networks: 'none' }, 'demo', V237);

  async function startRunning(cloud: TestCloud, id: string): Promise<any> {
    assert.equal((await act(cloud, id, { 'os-migrateLive': { host: null, block_migration: 'auto' } })).status, 202);
    return until('a running live migration', async () => {
      const list = await cloud.request('GET', `/compute/v2.1/servers/${id}/migrations`, { headers: mv('2.23') });
      assert.equal(list.status, 200);
      return list.json.migrations.find((m: any) => m.status === 'running');
    });
  }

  test('it is listed and shown, the server MIGRATING; force_complete ends it on the destination', async () => {
    const cloud = get();
    const server = await boot('lm-force');
    const source = await hostOf(cloud, server.id);
    const m = await startRunning(cloud, server.id);
    assert.equal(m.server_uuid, server.id);
    assert.equal(m.source_compute, source);
    assert.ok('memory_total_bytes' in m && !('uuid' in m));
    const shown = await cloud.request('GET', `/compute/v2.1/servers/${server.id}/migrations/${m.id}`, { headers: mv('2.59') });
    assert.equal(shown.status, 200);
    assert.equal(typeof shown.json.migration.uuid, 'string');
    const during = (await cloud.request('GET', `/compute/v2.1/servers/${server.id}`)).json.server;
    assert.equal(during.status, 'MIGRATING');
    assert.equal(during['OS-EXT-STS:task_state'], 'migrating');
    assert.equal(during['OS-EXT-STS:vm_state'], 'active');
    assert.equal((await act(cloud, server.id, { pause: null }, '2.1', 'demo')).status, 409);
    assert.equal((await cloud.request('POST', `/compute/v2.1/servers/${server.id}/migrations/${m.id}/action`, { body: { force_complete: 1 }, headers: mv('2.22') })).status, 400);
    assert.equal((await cloud.request('POST', `/compute/v2.1/servers/${server.id}/migrations/${m.id}/action`, { body: { force_complete: null }, headers: mv('2.21') })).status, 404);
    const forced = await cloud.request('POST', `/compute/v2.1/servers/${server.id}/migrations/${m.id}/action`, { body: { force_complete: null }, headers: mv('2.22') });
    assert.equal(forced.status, 202, JSON.stringify(forced.json));
    const done = await idle(cloud, server.id);
    assert.notEqual(done['OS-EXT-SRV-ATTR:host'], source);
    assert.equal(done.status, 'ACTIVE');
    const gone = await cloud.request('GET', `/compute/v2.1/servers/${server.id}/migrations/${m.id}`, { headers: mv('2.23') });
    assert.equal(gone.status, 404);
    const again = await cloud.request('POST', `/compute/v2.1/servers/${server.id}/migrations/${m.id}/action`, { body: { force_complete: null }, headers: mv('2.22') });
    assert.equal(again.status, 409);
  });

  test('abort leaves the server ACTIVE on its source with its allocation there, the migration cancelled', async () => {
    const cloud = get();
    const server = await boot('lm-abort');
    const source = await hostOf(cloud, server.id);
    const m = await startRunning(cloud, server.id);
    assert.equal((await cloud.request('DELETE', `/compute/v2.1/servers/${server.id}/migrations/${m.id}`, { headers: mv('2.23') })).status, 404);
    assert.equal((await cloud.request('DELETE', `/compute/v2.1/servers/${server.id}/migrations/${m.id}`, { who: 'demo', headers: mv('2.24') })).status, 403);
    const res = await cloud.request('DELETE', `/compute/v2.1/servers/${server.id}/migrations/${m.id}`, { headers: mv('2.24') });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    const after = await idle(cloud, server.id);
    assert.equal(after['OS-EXT-SRV-ATTR:host'], source);
    assert.equal(after.status, 'ACTIVE');
    const [row] = await migrationsOf(cloud, server.id);
    assert.equal(row.status, 'cancelled');
    assert.deepEqual(Object.keys(await allocationsOf(cloud, server.id)), [await providerOf(cloud, source)]);
    assert.deepEqual(await allocationsOf(cloud, row.uuid), {});
    const byHost = Object.fromEntries(cloud.hosts.map((h) => [h.host, h.fakeDriver!]));
    const dest = cloud.hosts.map((h) => h.host).find((h) => h !== source)!;
    assert.ok(!(await byHost[dest].listInstances()).includes(server.id));
    const late = await cloud.request('DELETE', `/compute/v2.1/servers/${server.id}/migrations/${m.id}`, { headers: mv('2.24') });
    assert.equal(late.status, 409);
  });
});
