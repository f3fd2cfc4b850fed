/**
 * The scheduler deciding on its own view of the hosts: what another
 * scheduler claimed since, an operator's change and a new compute node must
 * not be missed, and no host is ever allocated past its capacity.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { databaseTargets } from '../helpers/databases.js';
import { testLogger } from '../helpers/logger.js';
import { syncDatabase } from '../../src/db/migrate.js';
import { MIGRATION_SETS } from '../../src/cli/roles/database.js';
import { loadConfig } from '../../src/conf/loader.js';
import { PlacementService } from '../../src/placement/service.js';
import { NoValidHost, SchedulerManager } from '../../src/scheduler/manager.js';
import { registerService } from '../../src/compute/servicegroup.js';
import { createComputeNode } from '../../src/compute/compute-node-store.js';
import { internalContext } from '../../src/bus/context.js';
import type { ComputeDb } from '../../src/compute/db/tables.js';
import type { RequestSpec } from '../../src/objects/index.js';
import type { DatabaseHandle } from '../../src/db/database.js';

function spec(vcpus = 1): RequestSpec {
  return {
    instance_uuid: randomUUID(), project_id: 'p', user_id: 'u',
    flavor: { id: 1, flavorid: '1', name: 'f', memory_mb: 64, vcpus, root_gb: 1, ephemeral_gb: 0, swap: 0, rxtx_factor: 1, is_public: true, disabled: false, description: null, extra_specs: {} },
    image: { id: randomUUID(), name: 'i', disk_format: 'raw', container_format: 'bare', size: 1, min_disk: 0, min_ram: 0, properties: {} },
    num_instances: 1, availability_zone: null, scheduler_hints: {}, ignore_hosts: [], force_hosts: [], force_nodes: [],
  };
}

for (const target of await databaseTargets()) {
  describe(`the scheduler's view of the hosts (${target.name})`, () => {
    let handle: DatabaseHandle & { dispose(): Promise<void> };
    let db: ComputeDb;
    let placement: PlacementService;
    const conf = loadConfig({ env: {}, overrides: { scheduler: { host_state_cache: 'true' } } });
    const nodes = new Map<string, string>();

    async function addHost(host: string, vcpus: number, memoryMb = 4096): Promise<void> {
      await registerService(db, host, 'nova-compute', 'compute');
      const node = await createComputeNode(db, host, host, {
        hypervisor_type: 'fake', hypervisor_version: 1, vcpus, memory_mb: memoryMb, local_gb: 10, vcpus_used: 0, memory_mb_used: 0, local_gb_used: 0,
        running_vms: 0, cpu_info: '{}', host_ip: '127.0.0.1', disk_available_least: 10, cpu_allocation_ratio: 1, ram_allocation_ratio: 1, disk_allocation_ratio: 1,
      });
      nodes.set(node.uuid, host);
      await placement.ensureResourceProvider({ uuid: node.uuid, name: host });
      await placement.setInventories(node.uuid, { VCPU: { total: vcpus }, MEMORY_MB: { total: memoryMb }, DISK_GB: { total: 10 } });
    }

    const scheduler = () => new SchedulerManager({ db, placement, conf, logger: testLogger });
    async function place(s: SchedulerManager, vcpus = 1): Promise<{ host: string; uuid: string }> {
      const sp = spec(vcpus);
      const [[chosen]] = await s.selectDestinations(internalContext('req-host-cache-test'), { specObj: sp, instanceUuids: [sp.instance_uuid], returnAlternates: true });
      return { host: chosen!.service_host, uuid: sp.instance_uuid };
    }
    async function assertWithinCapacity(): Promise<void> {
      for (const uuid of nodes.keys()) {
        const usages = await placement.getProviderUsages(uuid);
        const { inventories } = await placement.getInventories(uuid);
        assert.ok((usages.VCPU ?? 0) <= inventories.VCPU!.total, `${nodes.get(uuid)} holds ${usages.VCPU} VCPU of ${inventories.VCPU!.total}`);
      }
    }

    before(async () => {
      handle = await target.open();
      await syncDatabase(handle.db, MIGRATION_SETS);
      db = handle.db as ComputeDb;
      placement = new PlacementService({ db: handle.db, logger: testLogger });
      await addHost('h1', 2);
      await addHost('h2', 2);
    });
    after(async () => { await handle.dispose(); });

    test('what another scheduler claimed since the view was read never overcommits a host; a full cloud is NoValidHost, freed room is found', async () => {
      const a = scheduler();
      const b = scheduler();
      const placed = [await place(a)];
      for (let i = 0; i < 3; i++) placed.push(await place(b));
      await assert.rejects(place(a), NoValidHost, 'a\'s view still shows room b took');
      await assertWithinCapacity();
      const freed = placed[3]!;
      await placement.deleteAllocations(freed.uuid);
      assert.equal((await place(a)).host, freed.host);
      await assertWithinCapacity();
    });

    test('a service disabled after the view was read gets nothing more', async () => {
      const a = scheduler();
      await addHost('h3', 8);
      await addHost('h4', 8);
      await place(a);
      await db.updateTable('services').set({ disabled: 1 }).where('host', '=', 'h3').execute();
      for (let i = 0; i < 4; i++) assert.equal((await place(a)).host, 'h4');
      await db.updateTable('services').set({ disabled: 0 }).where('host', '=', 'h3').execute();
      assert.equal((await place(a)).host, 'h3', 'enabled again, h3 is the emptier');
    });

    test('a compute node added after the view was read is weighed at the next decision', async () => {
      const a = scheduler();
      await place(a);
      await addHost('h5', 64, 65536);
      assert.equal((await place(a)).host, 'h5', 'the host with the most free RAM');
      await assertWithinCapacity();
    });
  });
}
