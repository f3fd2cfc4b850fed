/**
 * The resource tracker: what the hypervisor has, written to the compute node
 * record and to placement as the provider's inventory, so the scheduler sees
 * each host as it is.
 */
import type { Logger } from 'pino';
import type { Config } from '../conf/options.js';
import type { VirtDriver, HostResources } from '../virt/driver.js';
import type { ComputeHostStore, ComputeNodeValues } from './host-objects/port.js';
import type { PlacementClient } from './clients.js';

export class ResourceTracker {
  private lastInventory = '';

  constructor(private readonly deps: { host: string; store: ComputeHostStore; driver: VirtDriver; placement: PlacementClient; conf: Config; logger: Logger }) {}

  /** Nova's update_available_resource: run at start and periodically. */
  async updateAvailableResource(): Promise<void> {
    for (const nodename of await this.deps.driver.getAvailableNodes()) {
      const resources = await this.deps.driver.getAvailableResource(nodename);
      const { uuid, values } = await this.upsertComputeNode(nodename, resources);
      await this.reportInventory(uuid, nodename, resources, values);
    }
  }

  private ratio(configured: number, initial: number): number {
    return configured > 0 ? configured : initial;
  }

  /** The node's record as it is now; answers its uuid and the allocation ratios in force. */
  private async upsertComputeNode(nodename: string, r: HostResources): Promise<{ uuid: string; values: ComputeNodeValues }> {
    const { store, host, conf } = this.deps;
    const usage = await store.getNodeUsage(host, nodename);
    const values: ComputeNodeValues = {
      hypervisor_type: r.hypervisorType, hypervisor_version: r.hypervisorVersion,
      vcpus: r.vcpus, memory_mb: r.memoryMb, local_gb: r.localGb,
      vcpus_used: usage.vcpus, memory_mb_used: usage.memory_mb + conf.DEFAULT.reserved_host_memory_mb,
      local_gb_used: usage.local_gb, running_vms: usage.instances,
      cpu_info: JSON.stringify(r.cpuInfo), host_ip: conf.DEFAULT.my_ip, disk_available_least: r.diskAvailableLeast,
      cpu_allocation_ratio: this.ratio(conf.DEFAULT.cpu_allocation_ratio, conf.DEFAULT.initial_cpu_allocation_ratio),
      ram_allocation_ratio: this.ratio(conf.DEFAULT.ram_allocation_ratio, conf.DEFAULT.initial_ram_allocation_ratio),
      disk_allocation_ratio: this.ratio(conf.DEFAULT.disk_allocation_ratio, conf.DEFAULT.initial_disk_allocation_ratio),
    };
    const existing = await store.getComputeNode(host, nodename);
    if (existing) {
      // initial_* ratios apply to a new node only; an existing node keeps its own unless configured explicitly.
      if (conf.DEFAULT.cpu_allocation_ratio <= 0) values.cpu_allocation_ratio = existing.cpu_allocation_ratio;
      if (conf.DEFAULT.ram_allocation_ratio <= 0) values.ram_allocation_ratio = existing.ram_allocation_ratio;
      if (conf.DEFAULT.disk_allocation_ratio <= 0) values.disk_allocation_ratio = existing.disk_allocation_ratio;
      await store.saveComputeNode(existing.uuid, values);
      return { uuid: existing.uuid, values };
    }
    const created = await store.createComputeNode(host, nodename, values);
    return { uuid: created.uuid, values };
  }

  private async reportInventory(uuid: string, nodename: string, r: HostResources, node: ComputeNodeValues): Promise<void> {
    const { conf, placement } = this.deps;
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
