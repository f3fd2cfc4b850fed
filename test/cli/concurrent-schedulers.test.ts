/**
 * Two `kilonova scheduler` processes claim on the same small hosts at once.
 * Placement's resource provider generations make one of two racing claims
 * retry against fresh usage, so no host is ever allocated past its capacity:
 * the servers that fit go ACTIVE, the surplus goes to ERROR with
 * NoValidHost, and the cloud is consistent afterwards.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServiceCloud } from '../helpers/service-cloud.js';
import { assertCloudConsistent } from '../helpers/cloud-consistency.js';
import { createServersAtOnce, waitUntilNoneBuilding } from '../helpers/concurrent-creates.js';
import { bootArguments } from '../helpers/boot-through-apis.js';
import { rabbitSkipReason } from '../bus/broker.js';
import { postgresAvailable } from '../helpers/databases.js';

const skip = (await rabbitSkipReason())
  ?? (!(await postgresAvailable()) && process.env.CI !== 'true' ? 'PostgreSQL does not answer (the schedulers share it)' : undefined);

const PLACEMENT = { 'openstack-api-version': 'placement 1.28' };
/** m1.tiny takes 1 vCPU: with no overcommit each host fits this many. */
const PER_HOST = 3;
const HOSTS = 2;
const CREATES = 16;

describe('two scheduler processes claiming on hosts with little room', { skip, timeout: 180_000 }, () => {
  test(`${CREATES} concurrent creates for ${HOSTS * PER_HOST} places: no host overcommitted, the surplus NoValidHost`, async () => {
    const cloud = await startServiceCloud({
      schedulers: 2,
      computes: HOSTS,
      compute: {
        DEFAULT: { cpu_allocation_ratio: 1, ram_allocation_ratio: 1, disk_allocation_ratio: 1, reserved_host_memory_mb: 0 },
        fake_driver: { vcpus: PER_HOST, memory_mb: 64 * 1024, local_gb: 1000 },
      },
    });
    try {
      const args = await bootArguments(cloud);
      const responses = await createServersAtOnce(cloud.apis, args, CREATES, 'tight');
      assert.deepEqual(responses.filter((r) => r.status !== 202).map((r) => `${r.status} ${JSON.stringify(r.json)}`), []);

      const servers = await waitUntilNoneBuilding(cloud, 90_000);
      assert.equal(servers.length, CREATES);
      const active = servers.filter((s) => s.status === 'ACTIVE');
      const failed = servers.filter((s) => s.status === 'ERROR');
      assert.equal(active.length + failed.length, CREATES, JSON.stringify(servers.map((s) => s.status)));
      assert.equal(active.length, HOSTS * PER_HOST, `every place taken once: ${active.length} active`);
      for (const s of failed) {
        const detail = (await cloud.request('GET', `/compute/v2.1/servers/${s.id}`)).json.server;
        assert.match(detail.fault?.message ?? '', /No valid host was found/, JSON.stringify(detail.fault));
      }

      const providers = (await cloud.request('GET', '/placement/resource_providers', { headers: PLACEMENT })).json.resource_providers;
      assert.equal(providers.length, HOSTS);
      for (const rp of providers) {
        const inventory = (await cloud.request('GET', `/placement/resource_providers/${rp.uuid}/inventories`, { headers: PLACEMENT })).json.inventories;
        const usages = (await cloud.request('GET', `/placement/resource_providers/${rp.uuid}/usages`, { headers: PLACEMENT })).json.usages;
        for (const [rc, used] of Object.entries<number>(usages)) {
          const inv = inventory[rc];
          const capacity = (inv.total - inv.reserved) * inv.allocation_ratio;
          assert.ok(used <= capacity, `${rp.name} ${rc}: ${used} used of ${capacity}`);
        }
        assert.equal(usages.VCPU, PER_HOST, `${rp.name} full`);
        const hosted = active.filter((s) => s['OS-EXT-SRV-ATTR:host'] === rp.name);
        assert.equal(hosted.length, PER_HOST, `${rp.name} hosts ${hosted.length}`);
      }
      assert.equal((await assertCloudConsistent(cloud)).allocations.size, HOSTS * PER_HOST);
    } finally {
      await cloud.close();
    }
  });
});
