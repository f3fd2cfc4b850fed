/**
 * Hypervisor response shapes, per microversion: integer ids before 2.53 and
 * uuids from it, cpu_info as text before 2.28 and as an object from it, and
 * from 2.88 no resource figures (vcpus, memory, disk, ...) but an uptime.
 */
import type { Selectable } from 'kysely';
import type { Config } from '../../../conf/options.js';
import type { ComputeNodesTable } from '../../db/tables.js';
import { isServiceUp, type ServiceRow } from './services.js';

export type ComputeNodeRow = Selectable<ComputeNodesTable>;

export interface HypervisorViewOptions {
  atLeast: (v: string) => boolean;
  conf: Config;
  detail: boolean;
  /** Servers on the node's host, when asked for (with_servers, or the pre-2.53 /servers route). */
  servers?: Array<{ name: string; uuid: string }>;
  /** 2.75+: `servers` is shown (maybe empty) whenever it was asked for. */
  withServers?: boolean;
  /** 2.88+: the host's uptime text, when known. */
  uptime?: string | null;
  now?: number;
}

function cpuInfoObject(text: string): unknown {
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

export function hypervisorView(node: ComputeNodeRow, service: ServiceRow, o: HypervisorViewOptions): Record<string, unknown> {
  const uuids = o.atLeast('2.53');
  const out: Record<string, unknown> = {
    id: uuids ? node.uuid : Number(node.id),
    hypervisor_hostname: node.hypervisor_hostname,
    state: isServiceUp(service, o.conf, o.now) ? 'up' : 'down',
    status: service.disabled ? 'disabled' : 'enabled',
  };
  if (o.detail) {
    Object.assign(out, {
      hypervisor_type: node.hypervisor_type,
      hypervisor_version: node.hypervisor_version,
      host_ip: node.host_ip,
      service: { id: uuids ? service.uuid : Number(service.id), host: node.host, disabled_reason: service.disabled_reason },
    });
  }
  // 2.88 drops the resource figures (placement is where they are true) and shows uptime in their place.
  if (o.detail && !o.atLeast('2.88')) {
    Object.assign(out, {
      vcpus: node.vcpus,
      memory_mb: node.memory_mb,
      local_gb: node.local_gb,
      vcpus_used: node.vcpus_used,
      memory_mb_used: node.memory_mb_used,
      local_gb_used: node.local_gb_used,
      free_ram_mb: node.memory_mb - node.memory_mb_used,
      free_disk_gb: node.local_gb - node.local_gb_used,
      current_workload: 0,
      running_vms: node.running_vms,
      disk_available_least: node.disk_available_least,
      cpu_info: o.atLeast('2.28') ? cpuInfoObject(node.cpu_info) : node.cpu_info,
    });
  }
  // From 2.88 the host's uptime stands in for the resource figures; null when it could not be read.
  if (o.detail && o.atLeast('2.88')) out.uptime = o.uptime ?? null;
  if (o.servers && o.servers.length > 0) out.servers = o.servers;
  else if (o.withServers && o.atLeast('2.75')) out.servers = [];
  return out;
}

export interface HypervisorStatistics {
  count: number;
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  vcpus_used: number;
  memory_mb_used: number;
  local_gb_used: number;
  free_ram_mb: number;
  free_disk_gb: number;
  current_workload: number;
  running_vms: number;
  disk_available_least: number;
}

export function statisticsView(nodes: ComputeNodeRow[]): { hypervisor_statistics: HypervisorStatistics } {
  const s: HypervisorStatistics = {
    count: 0, vcpus: 0, memory_mb: 0, local_gb: 0, vcpus_used: 0, memory_mb_used: 0, local_gb_used: 0,
    free_ram_mb: 0, free_disk_gb: 0, current_workload: 0, running_vms: 0, disk_available_least: 0,
  };
  for (const n of nodes) {
    s.count += 1;
    s.vcpus += n.vcpus;
    s.memory_mb += n.memory_mb;
    s.local_gb += n.local_gb;
    s.vcpus_used += n.vcpus_used;
    s.memory_mb_used += n.memory_mb_used;
    s.local_gb_used += n.local_gb_used;
    s.free_ram_mb += n.memory_mb - n.memory_mb_used;
    s.free_disk_gb += n.local_gb - n.local_gb_used;
    s.running_vms += n.running_vms;
    s.disk_available_least += n.disk_available_least ?? 0;
  }
  return { hypervisor_statistics: s };
}
