/** The services table as os-services reads and changes it. */
import { sql } from 'kysely';
import { Conflict, NotFound } from '../errors.js';
import { nowIso } from '../db/schema-helpers.js';
import type { ComputeDb } from './db/tables.js';
import type { HostServiceRow } from './host-store.js';

export type ServiceChanges = Partial<Pick<HostServiceRow, 'disabled' | 'disabled_reason' | 'forced_down'>>;

export function listServices(db: ComputeDb, filter: { host?: string; binary?: string }): Promise<HostServiceRow[]> {
  let q = db.selectFrom('services').selectAll().where('deleted', '=', 0);
  if (filter.host) q = q.where('host', '=', filter.host);
  if (filter.binary) q = q.where('binary', '=', filter.binary);
  return q.orderBy('id').execute();
}

export function serviceByUuid(db: ComputeDb, uuid: string): Promise<HostServiceRow | undefined> {
  return db.selectFrom('services').selectAll().where('uuid', '=', uuid).where('deleted', '=', 0).executeTakeFirst();
}

export function serviceById(db: ComputeDb, id: number): Promise<HostServiceRow | undefined> {
  return db.selectFrom('services').selectAll().where('id', '=', id).where('deleted', '=', 0).executeTakeFirst();
}

/** Changes the live service of that host and binary; false when there is none. */
export async function updateServiceByHost(db: ComputeDb, host: string, binary: string, changes: ServiceChanges): Promise<boolean> {
  const res = await db.updateTable('services').set({ ...changes, updated_at: nowIso() })
    .where('host', '=', host).where('binary', '=', binary).where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export function updateService(db: ComputeDb, id: number, changes: ServiceChanges): Promise<HostServiceRow | undefined> {
  return db.updateTable('services').set({ ...changes, updated_at: nowIso() })
    .where('id', '=', id).where('deleted', '=', 0).returningAll().executeTakeFirst();
}

/**
 * Soft-deletes a service; a compute service takes its compute nodes with it
 * (as Nova's service_destroy does) and is refused while it hosts instances.
 * Returns the uuids of the nodes removed.
 */
export async function deleteService(db: ComputeDb, service: HostServiceRow): Promise<string[]> {
  return db.transaction().execute(async (tx) => {
    const current = await tx.selectFrom('services').select('id').where('id', '=', service.id).where('deleted', '=', 0).executeTakeFirst();
    if (!current) throw new NotFound(`Service ${service.id} not found.`);
    let nodes: string[] = [];
    if (service.binary === 'nova-compute') {
      const hosted = await tx.selectFrom('instances').select(sql<number>`count(*)`.as('n'))
        .where('host', '=', service.host).where('deleted', '=', 0).executeTakeFirstOrThrow();
      if (Number(hosted.n) > 0) {
        throw new Conflict('Unable to delete compute service that is hosting instances. Migrate or delete the instances first.');
      }
      nodes = (await tx.selectFrom('compute_nodes').select('uuid').where('host', '=', service.host).where('deleted', '=', 0).execute()).map((n) => n.uuid);
      await tx.updateTable('compute_nodes').set((eb) => ({ deleted: eb.ref('id'), updated_at: nowIso() }))
        .where('host', '=', service.host).where('deleted', '=', 0).execute();
    }
    // Soft delete with deleted = id keeps (host, binary, deleted) unique for a re-registered service.
    await tx.updateTable('services').set((eb) => ({ deleted: eb.ref('id'), updated_at: nowIso() }))
      .where('id', '=', service.id).execute();
    return nodes;
  });
}

/** How many live instances a host runs. */
export async function instanceCountOn(db: ComputeDb, host: string): Promise<number> {
  const row = await db.selectFrom('instances').select(sql<number>`count(*)`.as('n'))
    .where('host', '=', host).where('deleted', '=', 0).executeTakeFirstOrThrow();
  return Number(row.n);
}
