/**
 * What must hold after any fault, read through the public APIs as an
 * operator would check it: no server stuck in a transition, placement
 * allocations exactly for the servers that have a host, no compute port
 * without its server, and each project's quota usage equal to what exists.
 */
import assert from 'node:assert/strict';
import type { CloudClient } from './cloud.js';

const COMPUTE = { 'openstack-api-version': 'compute 2.47' };
const PLACEMENT = { 'openstack-api-version': 'placement 1.28' };

export interface CloudCensus {
  servers: any[];
  /** Consumer uuid -> resource providers it has allocations on. */
  allocations: Map<string, string[]>;
}

const SETTLED = ['ACTIVE', 'ERROR', 'SHUTOFF'];

/** Every server (all projects) as GET /servers/detail shows it. */
export async function listAllServers(cloud: CloudClient): Promise<any[]> {
  const list = await cloud.request('GET', '/compute/v2.1/servers/detail?all_tenants=1&limit=10000', { headers: COMPUTE });
  assert.equal(list.status, 200, JSON.stringify(list.json));
  return list.json.servers;
}

function inTransition(s: any, settled: ReadonlySet<string>): boolean {
  return !settled.has(s.status) || !!s['OS-EXT-STS:task_state'];
}

/**
 * Polls the server list (one request per round, not one per server) until
 * the given servers (default: all) have left every transition; fails at the
 * deadline naming those still in one.
 */
export async function waitUntilSettled(cloud: CloudClient, opts: { ids?: readonly string[]; timeoutMs: number; settled?: readonly string[] }): Promise<any[]> {
  const settled = new Set(opts.settled ?? SETTLED);
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const all = await listAllServers(cloud);
    const wanted = opts.ids ? all.filter((s) => opts.ids!.includes(s.id)) : all;
    if (opts.ids) {
      const missing = opts.ids.filter((id) => !wanted.some((s) => s.id === id));
      assert.deepEqual(missing, [], 'servers gone from the list');
    }
    const moving = wanted.filter((s) => inTransition(s, settled));
    if (moving.length === 0) return wanted;
    if (Date.now() > deadline) {
      assert.fail(`servers still in a transition after ${opts.timeoutMs} ms: ${moving.map((s) => `${s.id} ${s.status}/${s['OS-EXT-STS:task_state']} on ${s['OS-EXT-SRV-ATTR:host']}`).join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function assertCloudConsistent(cloud: CloudClient, opts: { settled?: readonly string[] } = {}): Promise<CloudCensus> {
  const settled = new Set(opts.settled ?? SETTLED);
  const servers = await listAllServers(cloud);
  const stuck = servers.filter((s) => inTransition(s, settled));
  assert.deepEqual(stuck.map((s) => `${s.id} ${s.status}/${s['OS-EXT-STS:task_state']}`), [], 'servers stuck in a transition');
  const byId = new Map(servers.map((s) => [s.id, s]));

  const providers = await cloud.request('GET', '/placement/resource_providers', { headers: PLACEMENT });
  assert.equal(providers.status, 200, JSON.stringify(providers.json));
  const allocations = new Map<string, string[]>();
  for (const rp of providers.json.resource_providers) {
    const res = await cloud.request('GET', `/placement/resource_providers/${rp.uuid}/allocations`, { headers: PLACEMENT });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    for (const consumer of Object.keys(res.json.allocations)) allocations.set(consumer, [...(allocations.get(consumer) ?? []), rp.uuid]);
  }
  const orphanAllocations = [...allocations.keys()].filter((c) => !byId.has(c));
  assert.deepEqual(orphanAllocations, [], 'allocations without a server');
  const hosted = servers.filter((s) => s['OS-EXT-SRV-ATTR:host']);
  assert.deepEqual(hosted.filter((s) => !allocations.has(s.id)).map((s) => `${s.id} on ${s['OS-EXT-SRV-ATTR:host']}`), [], 'servers on a host without an allocation');
  assert.deepEqual(servers.filter((s) => !s['OS-EXT-SRV-ATTR:host'] && allocations.has(s.id)).map((s) => `${s.id} ${s.status}`), [], 'servers on no host holding an allocation');

  const ports = await cloud.request('GET', '/network/v2.0/ports');
  assert.equal(ports.status, 200, JSON.stringify(ports.json));
  const orphanPorts = ports.json.ports.filter((p: any) => String(p.device_owner).startsWith('compute:') && !byId.has(p.device_id));
  assert.deepEqual(orphanPorts.map((p: any) => `${p.id} for ${p.device_id}`), [], 'compute ports without their server');

  const projects = new Set<string>(servers.map((s) => s.tenant_id));
  for (const project of projects) {
    const mine = servers.filter((s) => s.tenant_id === project);
    const usage = await cloud.request('GET', `/compute/v2.1/os-quota-sets/${project}/detail`);
    assert.equal(usage.status, 200, JSON.stringify(usage.json));
    const q = usage.json.quota_set;
    assert.deepEqual(
      { instances: q.instances.in_use, cores: q.cores.in_use, ram: q.ram.in_use },
      { instances: mine.length, cores: mine.reduce((n, s) => n + s.flavor.vcpus, 0), ram: mine.reduce((n, s) => n + s.flavor.ram, 0) },
      `quota usage of project ${project}`,
    );
  }
  return { servers, allocations };
}
