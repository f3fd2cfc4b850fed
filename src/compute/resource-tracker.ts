/**
 * The resource tracker: what the hypervisor has, written to the compute node
 * record and to placement as the provider's inventory, so the scheduler sees
 * each host as it is.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { sql } from 'kysely';
import type { Config } from '../conf/options.js';
import { nowIso } from '../db/schema-helpers.js';
import type { VirtDriver, HostResources } from '../virt/driver.js';
import type { ComputeDb } from './db/tables.js';
import type { PlacementClient } from './clients.js';

export class ResourceTracker {
  private lastInventory = '';

  constructor(private readonly deps: { host: string; db: ComputeDb; driver: VirtDriver; placement: PlacementClient; conf: Config; logger: Logger }) {}

  /** Nova's update_available_resource: run at start and periodically. */
  async updateAvailableResource(): Promise<void> {
    for (const nodename of await this.deps.driver.getAvailableNodes()) {
      const resources = await this.deps.driver.getAvailableResource(nodename);
      const uuid = await this.upsertComputeNode(nodename, resources);
      await this.reportInventory(uuid, nodename, resources);
    }
  }

  private ratio(configured: number, initial: number): number {
    return configured > 0 ? configured : initial;
  }

  private async upsertComputeNode(nodename: string, r: HostResources): Promise<string> {
    const { db, host, conf } = this.deps;
    const usage = await db.selectFrom('instances')
      .select([
        sql<number>`count(*)`.as('n'), sql<number>`coalesce(sum(vcpus), 0)`.as('vcpus'),
        sql<number>`coalesce(sum(memory_mb), 0)`.as('ram'), sql<number>`coalesce(sum(root_gb + ephemeral_gb), 0)`.as('disk'),
      ])
      .where('host', '=', host).where('node', '=', nodename).where('deleted', '=', 0)
      .executeTakeFirstOrThrow();
    const now = nowIso();
    const values = {
      hypervisor_type: r.hypervisorType, hypervisor_version: r.hypervisorVersion,
      vcpus: r.vcpus, memory_mb: r.memoryMb, local_gb: r.localGb,
      vcpus_used: Number(usage.vcpus), memory_mb_used: Number(usage.ram) + conf.DEFAULT.reserved_host_memory_mb,
      local_gb_used: Number(usage.disk), running_vms: Number(usage.n),
      cpu_info: JSON.stringify(r.cpuInfo), host_ip: conf.DEFAULT.my_ip, disk_available_least: r.diskAvailableLeast,
      cpu_allocation_ratio: this.ratio(conf.DEFAULT.cpu_allocation_ratio, conf.DEFAULT.initial_cpu_allocation_ratio),
      ram_allocation_ratio: this.ratio(conf.DEFAULT.ram_allocation_ratio, conf.DEFAULT.initial_ram_allocation_ratio),
      disk_allocation_ratio: this.ratio(conf.DEFAULT.disk_allocation_ratio, conf.DEFAULT.initial_disk_allocation_ratio),
    };
    const existing = await db.selectFrom('compute_nodes').select(['uuid', 'cpu_allocation_ratio', 'ram_allocation_ratio', 'disk_allocation_ratio'])
      .where('host', '=', host).where('hypervisor_hostname', '=', nodename).where('deleted', '=', 0).executeTakeFirst();
    if (existing) {
      // initial_* ratios apply to a new node only; an existing node keeps its own unless configured explicitly.
      if (conf.DEFAULT.cpu_allocation_ratio <= 0) values.cpu_allocation_ratio = existing.cpu_allocation_ratio;
      if (conf.DEFAULT.ram_allocation_ratio <= 0) values.ram_allocation_ratio = existing.ram_allocation_ratio;
      if (conf.DEFAULT.disk_allocation_ratio <= 0) values.disk_allocation_ratio = existing.disk_allocation_ratio;
      await db.updateTable('compute_nodes').set({ ...values, updated_at: now }).where('uuid', '=', existing.uuid).execute();
      return existing.uuid;
    }
    const uuid = randomUUID();
    await db.insertInto('compute_nodes').values({
      uuid, host, hypervisor_hostname: nodename, ...values, created_at: now, updated_at: null, deleted: 0,
    }).execute();
    return uuid;
  }

  private async reportInventory(uuid: string, nodename: string, r: HostResources): Promise<void> {
    const { conf, placement } = this.deps;
    const node = await this.deps.db.selectFrom('compute_nodes').select(['cpu_allocation_ratio', 'ram_allocation_ratio', 'disk_allocation_ratio'])
      .where('uuid', '=', uuid).executeTakeFirstOrThrow();
    const inventories = {
      VCPU: { total: r.vcpus, reserved: conf.DEFAULT.reserved_host_cpus, min_unit: 1, max_unit: r.vcpus, step_size: 1, allocation_ratio: node.cpu_allocation_ratio },
      MEMORY_MB: { total: r.memoryMb, reserved: conf.DEFAULT.reserved_host_memory_mb, min_unit: 1, max_unit: r.memoryMb, step_size: 1, allocation_ratio: node.ram_allocation_ratio },
      DISK_GB: { total: r.localGb, reserved: Math.ceil(conf.DEFAULT.reserved_host_disk_mb / 1024), min_unit: 1, max_unit: r.localGb, step_size: 1, allocation_ratio: node.disk_allocation_ratio },
    };
    const key = JSON.stringify([uuid, nodename, inventories]);
    if (key === this.lastInventory) return;
    await placement.ensureResourceProvider({ uuid, name: nodename });
    await placement.setInventories(uuid, inventories);
    this.lastInventory = key;
  }
}
