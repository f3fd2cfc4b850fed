/**
 * The all-in-one killed with SIGKILL while fifty boots are in flight — some
 * still being scheduled, some spawning — and started again on the same state
 * path: no server stays in BUILD, nothing is held for a server that does not
 * hold it (allocations, ports), and quota usage is what exists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCloudProcess, type CloudClient, type CloudProcess } from '../helpers/cloud.js';

const V237 = { 'openstack-api-version': 'compute 2.37' };
const PLACEMENT = { 'openstack-api-version': 'placement 1.28' };
const SLOW_SPAWN = { KILONOVA_FAKE_DRIVER__SPAWN_DELAY_MS: '60000' };

async function until<T>(what: string, deadlineMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function servers(cloud: CloudClient): Promise<any[]> {
  const res = await cloud.request('GET', '/compute/v2.1/servers/detail?all_tenants=1', { headers: V237 });
  assert.equal(res.status, 200);
  return res.json.servers;
}

async function create(cloud: CloudClient, image: string, name: string, count = 1): Promise<Response> {
  // A raw fetch, so the kill can follow the 202 without waiting for anything else.
  return fetch(`${cloud.url}/compute/v2.1/servers`, {
    method: 'POST',
    headers: { ...V237, 'content-type': 'application/json', 'x-auth-token': await cloud.token('admin') },
    body: JSON.stringify({ server: { name, imageRef: image, flavorRef: '1', networks: 'auto', ...(count > 1 ? { min_count: count, max_count: count } : {}) } }),
  });
}

test('a SIGKILL during fifty boots leaves no server in BUILD and nothing held without its server after a restart', { timeout: 60_000 }, async (t) => {
  const statePath = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-crash-'));
  let cloud: CloudProcess | undefined;
  try {
    // Ten settled servers first: they must come through the crash untouched.
    cloud = await startCloudProcess({ statePath });
    const img = await cloud.request('POST', '/image/v2/images', { body: { name: 'img', disk_format: 'raw', container_format: 'bare', visibility: 'public' } });
    const up = await fetch(`${cloud.url}/image/v2/images/${img.json.id}/file`, {
      method: 'PUT', headers: { 'x-auth-token': await cloud.token('admin'), 'content-type': 'application/octet-stream' }, body: Buffer.alloc(1024, 1),
    });
    assert.equal(up.status, 204);
    const image = img.json.id as string;
    const settled: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await create(cloud, image, `settled-${i}`);
      assert.equal(res.status, 202);
      settled.push(((await res.json()) as any).server.id);
    }
    for (const id of settled) await cloud.waitForServer(id, 'ACTIVE');
    assert.equal(await cloud.stop(), 0);

    // Twenty-five boots held in spawning, then twenty-five more killed while being scheduled.
    cloud = await startCloudProcess({ statePath, env: SLOW_SPAWN });
    const spawning = await Promise.all(Array.from({ length: 25 }, async (_, i) => {
      const res = await create(cloud!, image, `spawning-${i}`);
      assert.equal(res.status, 202);
      return ((await res.json()) as any).server.id as string;
    }));
    await until('25 servers spawning', 10_000, async () => {
      const states = (await servers(cloud!)).filter((s) => spawning.includes(s.id)).map((s) => s['OS-EXT-STS:task_state']);
      return states.length === 25 && states.every((s) => s === 'spawning') ? true : undefined;
    });
    t.diagnostic(`start without recovery work: ${cloud.startMs} ms`);
    const batch = await create(cloud, image, 'batch', 25);
    const killedAt = Date.now();
    process.kill(cloud.pid, 'SIGKILL');
    assert.equal(batch.status, 202);
    await cloud.stop();
    assert.equal(cloud.child.signalCode, 'SIGKILL');

    cloud = await startCloudProcess({ statePath });
    const restartedAt = Date.now();
    const all = await until('no server in BUILD', 10_000, async () => {
      const list = await servers(cloud!);
      return list.some((s) => s.status === 'BUILD') ? undefined : list;
    });
    t.diagnostic(`restart after the kill: ready in ${restartedAt - killedAt} ms (start ${cloud.startMs} ms), settled ${Date.now() - killedAt} ms after the kill`);

    assert.equal(all.length, 60);
    for (const s of all) assert.ok(['ACTIVE', 'ERROR'].includes(s.status), `${s.name} is ${s.status}`);
    const active = all.filter((s) => s.status === 'ACTIVE');
    assert.deepEqual(active.map((s) => s.id).sort(), [...settled].sort(), 'the settled servers, and only they, are ACTIVE');
    const errors = all.filter((s) => s.status === 'ERROR');
    for (const s of errors) {
      assert.equal(s['OS-EXT-STS:task_state'], null);
      assert.match(s.fault.message, /interrupted by a restart of the compute service/);
    }
    // Both stuck states were really hit: each recovery path left its own fault.
    const unscheduled = errors.filter((s) => /before a host was chosen/.test(s.fault.message));
    const placed = errors.filter((s) => !/before a host was chosen/.test(s.fault.message));
    t.diagnostic(`at the kill: ${unscheduled.length} servers had no host yet, ${placed.length} were on the host`);
    assert.ok(unscheduled.length > 0, 'some servers were still being scheduled at the kill');
    assert.ok(placed.length >= 25, 'the spawning servers were on the host at the kill');
    for (const id of spawning) assert.ok(placed.some((s) => s.id === id), `${id} was spawning`);

    // Allocations: exactly the ACTIVE servers hold one.
    const providers = (await cloud.request('GET', '/placement/resource_providers', { headers: PLACEMENT })).json.resource_providers;
    const consumers: string[] = [];
    for (const rp of providers) {
      const allocs = (await cloud.request('GET', `/placement/resource_providers/${rp.uuid}/allocations`, { headers: PLACEMENT })).json.allocations;
      consumers.push(...Object.keys(allocs));
    }
    assert.deepEqual(consumers.sort(), [...settled].sort());

    // Ports: exactly one per ACTIVE server, none for the rest.
    const ports = (await cloud.request('GET', '/network/v2.0/ports')).json.ports.filter((p: any) => p.device_owner.startsWith('compute:'));
    assert.deepEqual(ports.map((p: any) => p.device_id).sort(), [...settled].sort());

    // Quota usage is what exists (m1.tiny: 1 vCPU, 512 MiB).
    const absolute = (await cloud.request('GET', '/compute/v2.1/limits')).json.limits.absolute;
    assert.deepEqual(
      { instances: absolute.totalInstancesUsed, cores: absolute.totalCoresUsed, ram: absolute.totalRAMUsed },
      { instances: all.length, cores: all.length, ram: all.length * 512 },
    );
  } finally {
    if (cloud) await cloud.stop('SIGKILL');
    fs.rmSync(statePath, { recursive: true, force: true });
  }
});

test('a live migration cut by a SIGKILL is in error after the restart, the server back on its source with only its own allocation', { timeout: 60_000 }, async () => {
  const statePath = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-crash-lm-'));
  const twoHosts = { args: ['--fake-hosts', '2'] };
  let cloud: CloudProcess | undefined;
  try {
    // The copy takes a minute, so the kill lands while the migration is running.
    cloud = await startCloudProcess({ statePath, ...twoHosts, env: { KILONOVA_FAKE_DRIVER__ACTION_DELAY_MS: '60000' } });
    const img = await cloud.request('POST', '/image/v2/images', { body: { name: 'img', disk_format: 'raw', container_format: 'bare', visibility: 'public' } });
    await fetch(`${cloud.url}/image/v2/images/${img.json.id}/file`, {
      method: 'PUT', headers: { 'x-auth-token': await cloud.token('admin'), 'content-type': 'application/octet-stream' }, body: Buffer.alloc(1024, 1),
    });
    const res = await create(cloud, img.json.id, 'migrating');
    assert.equal(res.status, 202);
    const id = ((await res.json()) as any).server.id as string;
    const before = await cloud.waitForServer(id, 'ACTIVE');
    const source = before['OS-EXT-SRV-ATTR:host'];
    const mig = await cloud.request('POST', `/compute/v2.1/servers/${id}/action`, { headers: { 'openstack-api-version': 'compute 2.30' }, body: { 'os-migrateLive': { host: null, block_migration: 'auto' } } });
    assert.equal(mig.status, 202);
    const running = await until('the live migration running', 10_000, async () => {
      const list = (await cloud!.request('GET', `/compute/v2.1/servers/${id}/migrations`, { headers: { 'openstack-api-version': 'compute 2.59' } })).json.migrations;
      return list?.[0]?.status === 'running' ? list[0] : undefined;
    });
    process.kill(cloud.pid, 'SIGKILL');
    await cloud.stop();

    cloud = await startCloudProcess({ statePath, ...twoHosts });
    const after = await until('the server settled', 10_000, async () => {
      const s = (await cloud!.request('GET', `/compute/v2.1/servers/${id}`, { headers: V237 })).json.server;
      return s['OS-EXT-STS:task_state'] === null ? s : undefined;
    });
    assert.equal(after.status, 'ACTIVE');
    assert.equal(after['OS-EXT-SRV-ATTR:host'], source);
    const m = (await cloud.request('GET', `/compute/v2.1/os-migrations?instance_uuid=${id}`, { headers: { 'openstack-api-version': 'compute 2.59' } })).json.migrations;
    assert.deepEqual(m.map((x: any) => [x.uuid, x.status]), [[running.uuid, 'error']]);
    const allocs = (await cloud.request('GET', `/placement/allocations/${id}`, { headers: PLACEMENT })).json.allocations;
    assert.equal(Object.keys(allocs).length, 1, 'one provider holds the server');
    const sourceRp = (await cloud.request('GET', `/placement/resource_providers?name=${source}`, { headers: PLACEMENT })).json.resource_providers[0];
    assert.ok(allocs[sourceRp.uuid], 'the source holds the server');
    const held = (await cloud.request('GET', `/placement/allocations/${running.uuid}`, { headers: PLACEMENT })).json.allocations;
    assert.deepEqual(held, {}, 'the migration holds nothing');
  } finally {
    if (cloud) await cloud.stop('SIGKILL');
    fs.rmSync(statePath, { recursive: true, force: true });
  }
});
