/**
 * The scheduler deciding on its own view of the hosts: what another
 * scheduler claimed since, an operator's change and a new compute node must
 * not be missed, what was released elsewhere must not weigh any more, and no
 * host is ever allocated past its capacity.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { databaseTargets, type DatabaseTarget } from '../helpers/databases.js';
import { testLogger } from '../helpers/logger.js';
import { syncDatabase } from '../../src/db/migrate.js';
import { MIGRATION_SETS } from '../../src/cli/roles/database.js';
import { loadConfig } from '../../src/conf/loader.js';
import { PlacementService } from '../../src/placement/service.js';
import { NoValidHost, SchedulerManager } from '../../src/scheduler/manager.js';
import type { ViewTiming } from '../../src/scheduler/host-cache.js';
import type { ClaimLedger } from '../../src/scheduler/claim-ledger.js';
import { registerService } from '../../src/compute/servicegroup.js';
import { createComputeNode } from '../../src/compute/compute-node-store.js';
import { internalContext } from '../../src/bus/context.js';
import type { ComputeDb } from '../../src/compute/db/tables.js';
import type { RequestSpec } from '../../src/objects/index.js';

const CACHED = loadConfig({ env: {}, overrides: { scheduler: { host_state_cache: 'true' } } });
const UNCACHED = loadConfig({ env: {}, overrides: { scheduler: { host_state_cache: 'false' } } });

function spec(vcpus = 1): RequestSpec {
  return {
    instance_uuid: randomUUID(), project_id: 'p', user_id: 'u',
    flavor: { id: 1, flavorid: '1', name: 'f', memory_mb: 64, vcpus, root_gb: 1, ephemeral_gb: 0, swap: 0, rxtx_factor: 1, is_public: true, disabled: false, description: null, extra_specs: {} },
    image: { id: randomUUID(), name: 'i', disk_format: 'raw', container_format: 'bare', size: 1, min_disk: 0, min_ram: 0, properties: {} },
    num_instances: 1, availability_zone: null, scheduler_hints: {}, ignore_hosts: [], force_hosts: [], force_nodes: [],
  };
}

/** Compute hosts with their providers on a database of their own, and schedulers deciding on them. */
async function openCloud(target: DatabaseTarget) {
  const handle = await target.open();
  await syncDatabase(handle.db, MIGRATION_SETS);
  const db = handle.db as ComputeDb;
  const placement = new PlacementService({ db: handle.db, logger: testLogger });
  const nodes = new Map<string, string>();
  return {
    db, placement, nodes,
    dispose: () => handle.dispose(),
    /** Hosts added earlier come first in placement's order, which decides between hosts weighed equal. */
    async addHost(host: string, vcpus: number, memoryMb = 4096): Promise<string> {
      await registerService(db, host, 'nova-compute', 'compute');
      const node = await createComputeNode(db, host, host, {
        hypervisor_type: 'fake', hypervisor_version: 1, vcpus, memory_mb: memoryMb, local_gb: 10, vcpus_used: 0, memory_mb_used: 0, local_gb_used: 0,
        running_vms: 0, cpu_info: '{}', host_ip: '127.0.0.1', disk_available_least: 10, cpu_allocation_ratio: 1, ram_allocation_ratio: 1, disk_allocation_ratio: 1,
      });
      nodes.set(node.uuid, host);
      await placement.ensureResourceProvider({ uuid: node.uuid, name: host });
      await placement.setInventories(node.uuid, { VCPU: { total: vcpus }, MEMORY_MB: { total: memoryMb }, DISK_GB: { total: 10 } });
      return node.uuid;
    },
    scheduler: (conf = CACHED, viewTiming?: Partial<ViewTiming>, on: PlacementService = placement) => new SchedulerManager({ db, placement: on, conf, logger: testLogger, viewTiming }),
    /** Another process's allocation (a conductor's, a migration's): straight to placement. */
    async claimElsewhere(host: string, vcpus: number): Promise<string> {
      const consumerUuid = randomUUID();
      const rp = [...nodes].find(([, h]) => h === host)![0];
      assert.equal(await placement.claimResources({ consumerUuid, projectId: 'p', userId: 'u', allocations: { [rp]: { resources: { VCPU: vcpus, MEMORY_MB: 64 } } } }), true);
      return consumerUuid;
    },
    async assertWithinCapacity(): Promise<void> {
      for (const uuid of nodes.keys()) {
        const usages = await placement.getProviderUsages(uuid);
        const { inventories } = await placement.getInventories(uuid);
        assert.ok((usages.VCPU ?? 0) <= inventories.VCPU!.total, `${nodes.get(uuid)} holds ${usages.VCPU} VCPU of ${inventories.VCPU!.total}`);
      }
    },
  };
}

type Cloud = Awaited<ReturnType<typeof openCloud>>;

/** `fn` on a cloud of its own with `hosts` (name, vCPUs, MiB of RAM), in that order. */
async function withCloud(target: DatabaseTarget, hosts: ReadonlyArray<readonly [string, number, number]>, fn: (cloud: Cloud) => Promise<void>): Promise<void> {
  const cloud = await openCloud(target);
  try {
    for (const [host, vcpus, ram] of hosts) await cloud.addHost(host, vcpus, ram);
    await fn(cloud);
  } finally {
    await cloud.dispose();
  }
}

/** Hosts unlike each other in vCPUs and RAM, so that the two weighers disagree. */
const HOSTS = [['e1', 8, 4096], ['e2', 12, 2048], ['e3', 6, 8192]] as const;

/** The hosts a decision gives, best first (the chosen one, then its alternates), and the instance placed. */
async function place(s: SchedulerManager, vcpus = 1): Promise<{ host: string; ranking: string[]; uuid: string }> {
  const sp = spec(vcpus);
  const [selections] = await s.selectDestinations(internalContext('req-host-cache-test'), { specObj: sp, instanceUuids: [sp.instance_uuid], returnAlternates: true });
  const ranking = selections!.map((x) => x.service_host);
  return { host: ranking[0]!, ranking, uuid: sp.instance_uuid };
}

for (const target of await databaseTargets()) {
  describe(`the scheduler's view of the hosts (${target.name})`, () => {
    let cloud: Cloud;

    before(async () => {
      cloud = await openCloud(target);
      await cloud.addHost('h1', 2);
      await cloud.addHost('h2', 2);
    });
    after(async () => { await cloud.dispose(); });

    test('what another scheduler claimed since the view was read never overcommits a host; a full cloud is NoValidHost, freed room is found', async () => {
      const a = cloud.scheduler();
      const b = cloud.scheduler();
      const placed = [await place(a)];
      for (let i = 0; i < 3; i++) placed.push(await place(b));
      await assert.rejects(place(a), NoValidHost, 'a\'s view still shows room b took');
      await cloud.assertWithinCapacity();
      const freed = placed[3]!;
      await cloud.placement.deleteAllocations(freed.uuid);
      assert.equal((await place(a)).host, freed.host);
      await cloud.assertWithinCapacity();
    });

    test('a service disabled after the view was read gets nothing more', async () => {
      const a = cloud.scheduler();
      await cloud.addHost('h3', 8);
      await cloud.addHost('h4', 8);
      await place(a);
      await cloud.db.updateTable('services').set({ disabled: 1 }).where('host', '=', 'h3').execute();
      for (let i = 0; i < 4; i++) assert.equal((await place(a)).host, 'h4');
      await cloud.db.updateTable('services').set({ disabled: 0 }).where('host', '=', 'h3').execute();
      assert.equal((await place(a)).host, 'h3', 'enabled again, h3 is the emptier');
    });

    test('a compute node added after the view was read is weighed at the next decision', async () => {
      const a = cloud.scheduler();
      await place(a);
      await cloud.addHost('h5', 64, 65536);
      assert.equal((await place(a)).host, 'h5', 'the host with the most free RAM');
      await cloud.assertWithinCapacity();
    });
  });

  describe(`what was released elsewhere no longer weighs on the scheduler's view (${target.name})`, () => {
    // c3 and c1 have as many vCPUs, c1 more RAM: c1 is the better host unless a vCPU
    // it no longer holds is counted, which ties the RAM and CPU weighers and hands the
    // tie to c3, first in placement's order.
    const withTwoHosts = (fn: (cloud: Cloud) => Promise<void>) => withCloud(target, [['c3', 8, 4096], ['c1', 8, 8192]], fn);

    test('a claim of this scheduler whose allocation another process deleted (a failed build\'s) no longer counts against its host', () => withTwoHosts(async (cloud) => {
      const a = cloud.scheduler();
      const failed = await place(a);
      assert.deepEqual(failed.ranking, ['c1', 'c3']);
      // What the conductor does for a build that failed on c1, in another process.
      await cloud.placement.deleteAllocations(failed.uuid);
      assert.deepEqual((await place(a)).ranking, ['c1', 'c3'], 'c1 is as empty as before the failed build');
    }));

    test('an allocation the view read, released since, no longer counts against its host', () => withTwoHosts(async (cloud) => {
      const a = cloud.scheduler();
      const elsewhere = await cloud.claimElsewhere('c1', 2);
      assert.deepEqual((await place(a)).ranking, ['c3', 'c1'], 'c1 with 2 vCPUs less ties with c3');
      await cloud.placement.deleteAllocations(elsewhere);
      assert.deepEqual((await place(a)).ranking, ['c1', 'c3'], 'c1 has all its vCPUs free again, c3 one less');
    }));
  });

  describe(`the scheduler's view decides as placement's answer does (${target.name})`, () => {
    for (const [how, timing] of [['', {}], [', its own claims folded in before every decision', { foldMs: 0 }]] as const) {
    test(`after claims and releases by others and its own, every ranking is the one a scheduler asking placement makes${how}`, () => withCloud(target, HOSTS, async (cloud) => {
      const cached = cloud.scheduler(CACHED, timing);
      const oracle = cloud.scheduler(UNCACHED);
      const elsewhere: string[] = [];
      const own: string[] = [];
      // A fixed walk (no randomness): each step someone else claims, releases, or this scheduler's server is deleted.
      for (let step = 0; step < 18; step++) {
        if (step % 3 === 0) elsewhere.push(await cloud.claimElsewhere(HOSTS[step % HOSTS.length]![0], 1 + (step % 2)));
        if (step % 4 === 1 && elsewhere.length > 0) await cloud.placement.deleteAllocations(elsewhere.shift()!);
        if (step % 5 === 2 && own.length > 0) await cloud.placement.deleteAllocations(own.shift()!);
        // What placement's answer ranks, undone at once: to the cached view, one more release elsewhere.
        const expected = await place(oracle);
        await cloud.placement.deleteAllocations(expected.uuid);
        const got = await place(cached);
        assert.deepEqual(got.ranking, expected.ranking, `step ${step}`);
        own.push(got.uuid);
      }
      await cloud.assertWithinCapacity();
    }));
    }

    test('its own claims folded into the view, the scheduler reads placement\'s providers once for many decisions, and its ledger forgets what it folded', () => withCloud(target, HOSTS, async (cloud) => {
      let fullReads = 0;
      const counted: PlacementService = Object.create(cloud.placement);
      counted.inventorySnapshot = (uuids?: readonly string[]) => {
        if (uuids === undefined) fullReads++;
        return cloud.placement.inventorySnapshot(uuids);
      };
      const cached = cloud.scheduler(CACHED, { foldMs: 0 }, counted);
      const oracle = cloud.scheduler(UNCACHED);
      for (let i = 0; i < 12; i++) {
        const expected = await place(oracle);
        await cloud.placement.deleteAllocations(expected.uuid);
        assert.deepEqual((await place(cached)).ranking, expected.ranking, `decision ${i}`);
      }
      assert.equal(fullReads, 1);
      assert.equal((cached as unknown as { claims: ClaimLedger }).claims.size, 1, 'only the last claim, folded in at the next decision');
      await cloud.assertWithinCapacity();
    }));
  });
}
