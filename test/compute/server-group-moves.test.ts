/**
 * Moves keep a server's group: cold migration, resize, live migration,
 * evacuation and unshelve are scheduled with the group's hard policy (the
 * moving server left out of its members' hosts, as it leaves its own), and an
 * administrator's forced destination that breaks it is refused as Nova's
 * destination refuses it. A refused move leaves the server where it was.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import type { ComputeDb } from '../../src/compute/db/tables.js';
import { allocationsOf, computeVersion, createServer, uploadImage, V237, waitForIdle } from './fixtures.js';

/** A cloud of `fakeHosts` hosts with the group and server steps the tests share. */
function groupCloud(fakeHosts: number, overrides: Record<string, Record<string, string>> = {}) {
  const env = {} as { cloud: TestCloud; image: string; hosts: string[] };
  before(async () => {
    env.cloud = await startTestCloud(overrides, { fakeHosts });
    env.hosts = env.cloud.hosts.map((h) => h.host);
    env.image = await uploadImage(env.cloud);
  });
  after(async () => env.cloud?.close());

  const createGroup = async (policy: string): Promise<string> => {
    const res = await env.cloud.request('POST', '/compute/v2.1/os-server-groups', {
      headers: computeVersion('2.64'), body: { server_group: { name: `g-${policy}`, policy } },
    });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return res.json.server_group.id as string;
  };
  /** A member of `group` placed on `host` (an administrator's zone:host), ACTIVE. */
  const bootMember = async (name: string, group: string, host: string): Promise<string> => {
    const res = await createServer(env.cloud, { name, imageRef: env.image, flavorRef: '1', networks: 'none', availability_zone: `nova:${host}` }, {
      headers: V237, extra: { 'os:scheduler_hints': { group } },
    });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    const server = await env.cloud.waitForServer(res.json.server.id, 'ACTIVE');
    assert.equal(server['OS-EXT-SRV-ATTR:host'], host);
    return server.id as string;
  };
  const act = (id: string, body: unknown, version: string) =>
    env.cloud.request('POST', `/compute/v2.1/servers/${id}/action`, { body, headers: computeVersion(version) });
  const migrationsOf = (id: string) =>
    (env.cloud.database.db as ComputeDb).selectFrom('migrations').selectAll().where('instance_uuid', '=', id).orderBy('id').execute();
  const lastFault = async (id: string) =>
    (await (env.cloud.database.db as ComputeDb).selectFrom('instance_faults').selectAll().where('instance_uuid', '=', id).orderBy('id', 'desc').executeTakeFirst());
  const providerOf = async (host: string) =>
    (await env.cloud.request('GET', `/placement/resource_providers?name=${host}`)).json.resource_providers[0].uuid as string;
  /** The server is ACTIVE and idle on `host`, holding its allocation there only, its guest there only. */
  const assertStayed = async (id: string, host: string) => {
    const server = await waitForIdle(env.cloud, id);
    assert.equal(server.status, 'ACTIVE');
    assert.equal(server['OS-EXT-SRV-ATTR:host'], host);
    assert.deepEqual(Object.keys(await allocationsOf(env.cloud, id)), [await providerOf(host)]);
    for (const h of env.cloud.hosts) assert.equal((await h.fakeDriver!.listInstances()).includes(id), h.host === host, `guest of ${id} on ${h.host}`);
  };
  /** Two affinity members on `host`, whose compute service is then forced down (os-services 2.11); the one to evacuate. */
  const affinityPairOnDownHost = async (prefix: string, host: string): Promise<string> => {
    const group = await createGroup('affinity');
    await bootMember(`${prefix}-1`, group, host);
    const moving = await bootMember(`${prefix}-2`, group, host);
    const down = await env.cloud.request('PUT', '/compute/v2.1/os-services/force-down', {
      body: { host, binary: 'nova-compute', forced_down: true }, headers: computeVersion('2.11'),
    });
    assert.equal(down.status, 200, JSON.stringify(down.json));
    return moving;
  };
  return { env, createGroup, bootMember, act, migrationsOf, lastFault, assertStayed, affinityPairOnDownHost };
}

describe('moves within a server group, two hosts', () => {
  const { env, createGroup, bootMember, act, migrationsOf, lastFault, assertStayed, affinityPairOnDownHost } = groupCloud(2);

  test('anti-affinity, a member on each host: a cold migration has no valid host (400) and the server stays', async () => {
    const [a, b] = env.hosts;
    const group = await createGroup('anti-affinity');
    await bootMember('aa-cold-1', group, a);
    const moving = await bootMember('aa-cold-2', group, b);
    const res = await act(moving, { migrate: null }, '2.1');
    assert.equal(res.status, 400, JSON.stringify(res.json));
    assert.match(res.json.badRequest.message, /No valid host/);
    await assertStayed(moving, b);
    assert.deepEqual((await migrationsOf(moving)).map((m) => m.status), ['error']);
  });

  test('affinity, both members on one host: live migration is refused scheduled, requested or forced, and the server stays', async () => {
    const [a, b] = env.hosts;
    const group = await createGroup('affinity');
    await bootMember('aff-lm-1', group, a);
    const moving = await bootMember('aff-lm-2', group, a);

    const scheduled = await act(moving, { 'os-migrateLive': { host: null, block_migration: 'auto' } }, '2.25');
    assert.equal(scheduled.status, 400, JSON.stringify(scheduled.json));
    assert.match(scheduled.json.badRequest.message, /No valid host/);
    const requested = await act(moving, { 'os-migrateLive': { host: b, block_migration: 'auto' } }, '2.30');
    assert.equal(requested.status, 400, JSON.stringify(requested.json));
    assert.match(requested.json.badRequest.message, /No valid host/);
    // Forced, the scheduler is skipped; the group still is not (Nova's check_can_live_migrate_destination).
    const forced = await act(moving, { 'os-migrateLive': { host: b, block_migration: 'auto', force: true } }, '2.30');
    assert.equal(forced.status, 400, JSON.stringify(forced.json));
    assert.match(forced.json.badRequest.message, /Affinity instance group policy was violated/);
    await assertStayed(moving, a);
    assert.deepEqual((await migrationsOf(moving)).map((m) => m.status), ['error', 'error', 'error']);

    // At 2.34 the API answers first; the refusal marks the migration failed.
    const async = await act(moving, { 'os-migrateLive': { host: null, block_migration: 'auto' } }, '2.34');
    assert.equal(async.status, 202, JSON.stringify(async.json));
    await assertStayed(moving, a);
    assert.equal((await migrationsOf(moving)).at(-1)!.status, 'error');
  });

  test('anti-affinity: an offloaded member whose host was taken by another member cannot be unshelved; it stays SHELVED_OFFLOADED', async () => {
    const [a, b] = env.hosts;
    const group = await createGroup('anti-affinity');
    await bootMember('aa-shelve-1', group, a);
    const shelved = await bootMember('aa-shelve-2', group, b);
    assert.equal((await act(shelved, { shelve: null }, '2.1')).status, 202);
    await env.cloud.waitForServer(shelved, 'SHELVED_OFFLOADED');
    await waitForIdle(env.cloud, shelved);
    await bootMember('aa-shelve-3', group, b);

    assert.equal((await act(shelved, { unshelve: null }, '2.1')).status, 202);
    const server = await waitForIdle(env.cloud, shelved);
    assert.equal(server.status, 'SHELVED_OFFLOADED');
    assert.equal(server['OS-EXT-SRV-ATTR:host'], null);
    assert.deepEqual(await allocationsOf(env.cloud, shelved), {});
  });

  // Last: it forces a host down for the rest of the suite.
  test('affinity, both members on a host that went down: evacuation, scheduled or forced, fails with the reason and the server stays', async () => {
    const [a, b] = env.hosts;
    const moving = await affinityPairOnDownHost('aff-evac', a);

    assert.equal((await act(moving, { evacuate: {} }, '2.14')).status, 200);
    await assertStayed(moving, a);
    const noHost = await lastFault(moving);
    assert.equal(noHost?.code, 400);
    assert.match(noHost!.message, /No valid host/);

    assert.equal((await act(moving, { evacuate: { host: b, force: true } }, '2.29')).status, 200);
    await assertStayed(moving, a);
    const forced = await lastFault(moving);
    assert.equal(forced?.code, 400);
    assert.match(forced!.message, /Affinity instance group policy was violated/);
    assert.deepEqual((await migrationsOf(moving)).map((m) => m.status), ['error', 'error']);
  });
});

describe('moves within a server group, three hosts', () => {
  const { env, createGroup, bootMember, act, migrationsOf } = groupCloud(3);

  test('anti-affinity, members on two of three hosts: a cold migration goes to the free host; a live migration back is refused', async () => {
    const [a, b, c] = env.hosts;
    const group = await createGroup('anti-affinity');
    await bootMember('aa3-1', group, a);
    const moving = await bootMember('aa3-2', group, b);
    assert.equal((await act(moving, { migrate: null }, '2.1')).status, 202);
    await env.cloud.waitForServer(moving, 'VERIFY_RESIZE');
    assert.equal((await waitForIdle(env.cloud, moving))['OS-EXT-SRV-ATTR:host'], c);
    assert.equal((await act(moving, { confirmResize: null }, '2.1')).status, 204);
    await env.cloud.waitForServer(moving, 'ACTIVE');

    const back = await act(moving, { 'os-migrateLive': { host: a, block_migration: 'auto' } }, '2.30');
    assert.equal(back.status, 400, JSON.stringify(back.json));
    assert.match(back.json.badRequest.message, /No valid host/);
    // b is free again now that the server left it: a scheduled live migration may take it.
    assert.equal((await act(moving, { 'os-migrateLive': { host: null, block_migration: 'auto' } }, '2.30')).status, 202);
    assert.equal((await waitForIdle(env.cloud, moving))['OS-EXT-SRV-ATTR:host'], b);
    assert.deepEqual((await migrationsOf(moving)).map((m) => m.status), ['confirmed', 'error', 'completed']);
  });
});

describe('resize within an anti-affinity group (allow_resize_to_same_host)', () => {
  const { env, createGroup, bootMember, act } = groupCloud(2, { DEFAULT: { allow_resize_to_same_host: 'true' } });

  test('a member on each host: the resize stays on the member\'s own host, the only one the group allows, though the other is emptier', async () => {
    const [a, b] = env.hosts;
    const group = await createGroup('anti-affinity');
    await bootMember('aa-resize-1', group, a);
    const moving = await bootMember('aa-resize-2', group, b);
    // Without the group the weighers would prefer a, which has more room left.
    const filler = await createServer(env.cloud, { name: 'filler', imageRef: env.image, flavorRef: '1', networks: 'none', availability_zone: `nova:${b}` }, { headers: V237 });
    assert.equal(filler.status, 202, JSON.stringify(filler.json));
    await env.cloud.waitForServer(filler.json.server.id, 'ACTIVE');

    assert.equal((await act(moving, { resize: { flavorRef: '2' } }, '2.1')).status, 202);
    const resized = await env.cloud.waitForServer(moving, 'VERIFY_RESIZE');
    assert.equal(resized.flavor.id, '2');
    assert.equal((await waitForIdle(env.cloud, moving))['OS-EXT-SRV-ATTR:host'], b);
  });
});

describe('an evacuation the scheduler sends against the group is refused by the destination', () => {
  // Without the group filters the scheduler places as two racing requests could: the destination is the last check.
  const filters = ['ComputeFilter', 'AvailabilityZoneFilter', 'ComputeCapabilitiesFilter'];
  const { env, act, migrationsOf, lastFault, assertStayed, affinityPairOnDownHost } = groupCloud(2, { filter_scheduler: { enabled_filters: filters.join(',') } });

  test('affinity: the destination refuses before the rebuild; the server keeps its state and host, the migration failed, the destination holds nothing', async () => {
    const [a, b] = env.hosts;
    const moving = await affinityPairOnDownHost('aff-late', a);

    const res = await act(moving, { evacuate: {} }, '2.14');
    assert.equal(res.status, 200, JSON.stringify(res.json));
    await assertStayed(moving, a);
    const [m] = await migrationsOf(moving);
    assert.equal(m.status, 'failed');
    assert.equal(m.dest_compute, b);
    const fault = await lastFault(moving);
    assert.equal(fault?.message, `Build of instance ${moving} aborted: Affinity instance group policy was violated.`);
    const action = await env.cloud.request('GET', `/compute/v2.1/servers/${moving}/os-instance-actions/${res.headers.get('x-compute-request-id')}`, { headers: computeVersion('2.84') });
    assert.equal(action.status, 200, JSON.stringify(action.json));
    assert.deepEqual(action.json.instanceAction.events.map((e: any) => [e.event, e.result, e.details, e.host]),
      [['compute_rebuild_instance', 'Error', 'GroupAffinityViolation', b]]);
  });
});
