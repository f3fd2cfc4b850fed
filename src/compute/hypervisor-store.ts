/** Compute nodes and what os-hypervisors shows beside them: their compute services and servers. */
import type { Selectable } from 'kysely';
import type { ComputeDb, ComputeNodesTable } from './db/tables.js';
import type { HostServiceRow } from './host-store.js';

export type ComputeNodeRow = Selectable<ComputeNodesTable>;

/** The live compute services of these hosts, by host. */
export async function computeServicesOf(db: ComputeDb, hosts: readonly string[]): Promise<Map<string, HostServiceRow>> {
  if (hosts.length === 0) return new Map();
  const rows = await db.selectFrom('services').selectAll()
    .where('binary', '=', 'nova-compute').where('deleted', '=', 0).where('host', 'in', [...new Set(hosts)])
    .execute();
  return new Map(rows.map((s) => [s.host, s]));
}

/** The live servers on these hosts (name and uuid), by host. */
export async function serversOnHosts(db: ComputeDb, hosts: readonly string[]): Promise<Map<string, Array<{ name: string; uuid: string }>>> {
  const out = new Map<string, Array<{ name: string; uuid: string }>>();
  if (hosts.length === 0) return out;
  const rows = await db.selectFrom('instances').select(['host', 'display_name', 'uuid'])
    .where('deleted', '=', 0).where('host', 'in', [...new Set(hosts)]).orderBy('id').execute();
  for (const r of rows) {
    const list = out.get(r.host!) ?? [];
    list.push({ name: r.display_name, uuid: r.uuid });
    out.set(r.host!, list);
  }
  return out;
}

/** Nodes whose hypervisor hostname contains `pattern`. */
export function nodesMatching(db: ComputeDb, pattern: string): Promise<ComputeNodeRow[]> {
  return db.selectFrom('compute_nodes').selectAll()
    .where('deleted', '=', 0).where('hypervisor_hostname', 'like', `%${pattern}%`).orderBy('id').execute();
}

/** The id of the live node a marker names (its uuid, or its integer id); undefined when there is none. */
export async function nodeMarkerId(db: ComputeDb, marker: { uuid: string } | { id: number }): Promise<number | undefined> {
  let q = db.selectFrom('compute_nodes').select('id').where('deleted', '=', 0);
  q = 'uuid' in marker ? q.where('uuid', '=', marker.uuid) : q.where('id', '=', marker.id);
  return (await q.executeTakeFirst())?.id;
}

/** A page of live nodes by id, after the node with id `afterId`. */
export function nodesPage(db: ComputeDb, opts: { afterId?: number; limit?: number }): Promise<ComputeNodeRow[]> {
  let q = db.selectFrom('compute_nodes').selectAll().where('deleted', '=', 0);
  if (opts.afterId !== undefined) q = q.where('id', '>', opts.afterId);
  if (opts.limit !== undefined) q = q.limit(opts.limit);
  return q.orderBy('id').execute();
}

export function nodeByKey(db: ComputeDb, key: { uuid: string } | { id: number }): Promise<ComputeNodeRow | undefined> {
  let q = db.selectFrom('compute_nodes').selectAll().where('deleted', '=', 0);
  q = 'uuid' in key ? q.where('uuid', '=', key.uuid) : q.where('id', '=', key.id);
  return q.executeTakeFirst();
}

/** The nodes whose compute service is enabled (Nova's statistics count only those). */
export function nodesOfEnabledServices(db: ComputeDb): Promise<ComputeNodeRow[]> {
  return db.selectFrom('compute_nodes').selectAll('compute_nodes')
    .innerJoin('services', (j) => j.onRef('services.host', '=', 'compute_nodes.host')
      .on('services.binary', '=', 'nova-compute').on('services.deleted', '=', 0).on('services.disabled', '=', 0))
    .where('compute_nodes.deleted', '=', 0)
    .execute();
}
