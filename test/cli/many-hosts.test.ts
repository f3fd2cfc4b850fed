/**
 * Ten `kilonova compute` processes, each its own host, behind one API,
 * conductor and scheduler over RabbitMQ and PostgreSQL: concurrent boots
 * spread over every host by placement and the weighers, and an availability
 * zone made from a host aggregate through os-aggregates keeps the servers
 * that ask for it on its hosts.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServiceCloud, type ServiceCloud } from '../helpers/service-cloud.js';
import { assertCloudConsistent, waitUntilSettled } from '../helpers/cloud-consistency.js';
import { rabbitSkipReason } from '../bus/broker.js';
import { postgresAvailable } from '../helpers/databases.js';
import { createServer, privateNetworkId, uploadImage, V237 } from '../compute/fixtures.js';

const skip = (await rabbitSkipReason())
  ?? (!(await postgresAvailable()) && process.env.CI !== 'true' ? 'PostgreSQL does not answer (the service processes share it)' : undefined);

const HOSTS = 10;
const BOOTS = 40;

describe('ten compute processes, each its own host', { skip, timeout: 300_000 }, () => {
  let cloud: ServiceCloud;
  let image: string;
  let network: string;

  before(async () => {
    const started = Date.now();
    cloud = await startServiceCloud({ computes: HOSTS, readyTimeoutMs: 120_000 });
    console.log(`# ${HOSTS} compute processes ready in ${Date.now() - started} ms`);
    image = await uploadImage(cloud);
    network = await privateNetworkId(cloud);
  });
  after(async () => {
    await cloud?.close();
  });

  /** Creates the servers all at once, waits until each has left BUILD, and returns them. */
  async function bootAll(names: string[], extra: Record<string, unknown> = {}): Promise<any[]> {
    const created = await Promise.all(names.map((name) => createServer(cloud, { name, imageRef: image, flavorRef: '1', networks: [{ uuid: network }], ...extra }, { who: 'demo', headers: V237 })));
    for (const c of created) assert.equal(c.status, 202, JSON.stringify(c.json));
    const servers = await waitUntilSettled(cloud, { ids: created.map((c) => c.json.server.id), timeoutMs: 120_000 });
    assert.deepEqual(servers.filter((s) => s.status !== 'ACTIVE').map((s) => `${s.id} ${s.status} ${JSON.stringify(s.fault)}`), []);
    return servers;
  }

  const hostCounts = (servers: any[]) => {
    const counts = new Map<string, number>();
    for (const s of servers) counts.set(s['OS-EXT-SRV-ATTR:host'], (counts.get(s['OS-EXT-SRV-ATTR:host']) ?? 0) + 1);
    return counts;
  };

  test(`${BOOTS} concurrent boots land on every host, none holding more than its share plus the boots in flight`, async () => {
    const hypervisors = await cloud.request('GET', '/compute/v2.1/os-hypervisors');
    assert.deepEqual(hypervisors.json.hypervisors.map((h: any) => h.hypervisor_hostname).sort(), [...cloud.computeHosts].sort());

    const started = Date.now();
    const servers = await bootAll(Array.from({ length: BOOTS }, (_, i) => `spread-${i}`));
    console.log(`# ${BOOTS} concurrent boots ACTIVE in ${Date.now() - started} ms`);
    const counts = hostCounts(servers);
    console.log(`# servers per host: ${JSON.stringify(Object.fromEntries([...counts].sort()))}`);
    assert.deepEqual([...counts.keys()].sort(), [...cloud.computeHosts].sort(), 'every host got a server');
    // Identical hosts and positive RAM and CPU weight multipliers: each choice
    // goes to the host with the most free, i.e. the fewest servers, so a host
    // is at most one ahead of an even share.
    const bound = Math.ceil(BOOTS / HOSTS) + 1;
    for (const [host, n] of counts) assert.ok(n <= bound, `${host} got ${n} servers, more than ${bound}`);
    const { allocations } = await assertCloudConsistent(cloud);
    assert.equal(allocations.size, BOOTS);
  });

  test('an aggregate with availability_zone az1 is listed, and servers asking for az1 land only on its hosts', async () => {
    const zoneHosts = ['c2', 'c5', 'c9'];
    const created = await cloud.request('POST', '/compute/v2.1/os-aggregates', {
      body: { aggregate: { name: 'rack-1', availability_zone: 'az1' } }, headers: { 'openstack-api-version': 'compute 2.41' },
    });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    for (const host of zoneHosts) {
      const added = await cloud.request('POST', `/compute/v2.1/os-aggregates/${created.json.aggregate.id}/action`, { body: { add_host: { host } } });
      assert.equal(added.status, 200, JSON.stringify(added.json));
    }
    const zones = await cloud.request('GET', '/compute/v2.1/os-availability-zone/detail');
    assert.equal(zones.status, 200, JSON.stringify(zones.json));
    const az1 = zones.json.availabilityZoneInfo.find((z: any) => z.zoneName === 'az1');
    assert.ok(az1, JSON.stringify(zones.json));
    assert.deepEqual(Object.keys(az1.hosts).sort(), zoneHosts);
    const nova = zones.json.availabilityZoneInfo.find((z: any) => z.zoneName === 'nova');
    assert.deepEqual(Object.keys(nova.hosts).filter((h) => cloud.computeHosts.includes(h)).sort(), cloud.computeHosts.filter((h) => !zoneHosts.includes(h)).sort());

    const servers = await bootAll(Array.from({ length: 9 }, (_, i) => `az1-${i}`), { availability_zone: 'az1' });
    const counts = hostCounts(servers);
    assert.deepEqual([...counts.keys()].filter((h) => !zoneHosts.includes(h)), [], `placed outside az1: ${JSON.stringify(Object.fromEntries(counts))}`);
    for (const s of servers) assert.equal(s['OS-EXT-AZ:availability_zone'], 'az1');
    await assertCloudConsistent(cloud);
  });
});
