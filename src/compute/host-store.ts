/** What os-hosts and the usage audit log read about hosts: their services, nodes and instances. */
import type { Selectable } from 'kysely';
import type { ComputeDb, ComputeNodesTable, ServicesTable } from './db/tables.js';

export type HostServiceRow = Selectable<ServicesTable>;

export function liveServices(db: ComputeDb, opts: { enabledOnly?: boolean; topic?: string } = {}): Promise<HostServiceRow[]> {
  let q = db.selectFrom('services').selectAll().where('deleted', '=', 0);
  if (opts.enabledOnly) q = q.where('disabled', '=', 0);
  if (opts.topic !== undefined) q = q.where('topic', '=', opts.topic);
  return q.orderBy('id').execute();
}

export function computeServiceOf(db: ComputeDb, host: string): Promise<HostServiceRow | undefined> {
  return db.selectFrom('services').selectAll().where('deleted', '=', 0).where('binary', '=', 'nova-compute').where('host', '=', host).executeTakeFirst();
}

export function firstNodeOf(db: ComputeDb, host: string): Promise<Selectable<ComputeNodesTable> | undefined> {
  return db.selectFrom('compute_nodes').selectAll().where('deleted', '=', 0).where('host', '=', host).orderBy('id').executeTakeFirst();
}

export function instancesOn(db: ComputeDb, host: string): Promise<Array<{ project_id: string; vcpus: number; memory_mb: number; root_gb: number; ephemeral_gb: number }>> {
  return db.selectFrom('instances').select(['project_id', 'vcpus', 'memory_mb', 'root_gb', 'ephemeral_gb'])
    .where('deleted', '=', 0).where('host', '=', host).orderBy('id').execute();
}

/** The hosts of these servers (those that have one), by uuid. */
export async function hostsOfInstances(db: ComputeDb, uuids: readonly string[]): Promise<Map<string, string>> {
  if (uuids.length === 0) return new Map();
  const rows = await db.selectFrom('instances').select(['uuid', 'host']).where('uuid', 'in', [...uuids]).where('deleted', '=', 0).execute();
  return new Map(rows.filter((r) => r.host).map((r) => [r.uuid, r.host!]));
}
