/**
 * Nova's simple tenant usage: for each project, how many hours its servers
 * ran in a period, weighted by their vCPUs, RAM and disk. A server counts
 * from launched_at to terminated_at (deleted ones too), clipped to the period.
 */
import type { ComputeDb } from './db/tables.js';

export interface ServerUsage {
  instance_id: string;
  name: string;
  tenant_id: string;
  flavor: string;
  hours: number;
  memory_mb: number;
  local_gb: number;
  vcpus: number;
  started_at: string;
  ended_at: string | null;
  state: string;
  uptime: number;
}

export interface TenantUsage {
  tenant_id: string;
  server_usages?: ServerUsage[];
  total_local_gb_usage: number;
  total_vcpus_usage: number;
  total_memory_mb_usage: number;
  total_hours: number;
  start: string;
  stop: string;
}

export class UsageMarkerNotFound extends Error {
  constructor(readonly marker: string) { super(`Marker ${marker} could not be found.`); }
}

/** Nova's timestamp in these views: microseconds, no zone. */
export function usageTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000`;
}

function flavorName(json: string): string {
  try {
    const f = JSON.parse(json) as { name?: unknown };
    return typeof f?.name === 'string' ? f.name : '';
  } catch {
    return '';
  }
}

/**
 * The instances active in [start, stop), in (project, uuid) order, one page
 * after `marker`, summed per project (in order of first appearance).
 */
export async function tenantUsages(db: ComputeDb, opts: {
  start: number; stop: number; projectId?: string; detailed: boolean; limit: number; marker?: string; now?: number;
}): Promise<{ usages: TenantUsage[]; servers: ServerUsage[] }> {
  const begin = new Date(opts.start).toISOString();
  const end = new Date(opts.stop).toISOString();
  let q = db.selectFrom('instances')
    .select(['uuid', 'display_name', 'project_id', 'flavor', 'vcpus', 'memory_mb', 'root_gb', 'ephemeral_gb', 'launched_at', 'terminated_at', 'vm_state'])
    .where((eb) => eb.or([eb('terminated_at', 'is', null), eb('terminated_at', '>', begin)]))
    .where('launched_at', '<', end);
  if (opts.projectId !== undefined) q = q.where('project_id', '=', opts.projectId);
  if (opts.marker !== undefined) {
    const m = await db.selectFrom('instances').select(['project_id', 'uuid']).where('uuid', '=', opts.marker).executeTakeFirst();
    if (!m) throw new UsageMarkerNotFound(opts.marker);
    q = q.where((eb) => eb.or([eb('project_id', '>', m.project_id), eb.and([eb('project_id', '=', m.project_id), eb('uuid', '>', m.uuid)])]));
  }
  const rows = await q.orderBy('project_id').orderBy('uuid').limit(opts.limit).execute();
  const now = opts.now ?? Date.now();
  const byProject = new Map<string, TenantUsage>();
  const servers: ServerUsage[] = [];
  for (const r of rows) {
    const launched = Date.parse(r.launched_at!);
    const terminated = r.terminated_at ? Date.parse(r.terminated_at) : null;
    const from = Math.max(launched, opts.start);
    const to = terminated !== null ? Math.min(opts.stop, terminated) : opts.stop;
    const hours = Math.max(0, (to - from) / 3_600_000);
    const info: ServerUsage = {
      instance_id: r.uuid, name: r.display_name, tenant_id: r.project_id, flavor: flavorName(r.flavor), hours,
      memory_mb: r.memory_mb, local_gb: r.root_gb + r.ephemeral_gb, vcpus: r.vcpus,
      started_at: usageTime(launched), ended_at: terminated !== null ? usageTime(terminated) : null,
      state: terminated !== null ? 'terminated' : r.vm_state,
      uptime: Math.trunc(((terminated ?? now) - launched) / 1000),
    };
    let summary = byProject.get(r.project_id);
    if (!summary) {
      summary = {
        tenant_id: r.project_id, ...(opts.detailed ? { server_usages: [] } : {}),
        total_local_gb_usage: 0, total_vcpus_usage: 0, total_memory_mb_usage: 0, total_hours: 0,
        start: usageTime(opts.start), stop: usageTime(opts.stop),
      };
      byProject.set(r.project_id, summary);
    }
    summary.total_local_gb_usage += info.local_gb * hours;
    summary.total_vcpus_usage += info.vcpus * hours;
    summary.total_memory_mb_usage += info.memory_mb * hours;
    summary.total_hours += hours;
    summary.server_usages?.push(info);
    servers.push(info);
  }
  return { usages: [...byProject.values()], servers };
}
