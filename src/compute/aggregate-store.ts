/**
 * Host aggregates in the database: the aggregate rows, their hosts and their
 * metadata, and the availability zone each host gets from them.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { Conflict, NotFound } from '../errors.js';
import { isUniqueViolation } from '../db/schema-helpers.js';
import { INT32_MAX } from '../db/integer-range.js';
import type { ComputeDb } from './db/tables.js';

export const AZ_KEY = 'availability_zone';

export interface Aggregate {
  id: number;
  uuid: string;
  name: string;
  hosts: string[];
  metadata: Record<string, string>;
  created_at: string;
  updated_at: string | null;
}

export class AggregateNotFound extends NotFound {
  constructor(id: number | string) {
    super(`Aggregate ${id} could not be found.`);
  }
}

export class AggregateNameExists extends Conflict {
  constructor(name: string) {
    super(`Aggregate ${name} already exists.`);
  }
}

async function withDetails(db: ComputeDb, rows: Array<{ id: number; uuid: string; name: string; created_at: string; updated_at: string | null }>): Promise<Aggregate[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [hosts, meta] = await Promise.all([
    db.selectFrom('aggregate_hosts').select(['aggregate_id', 'host']).where('aggregate_id', 'in', ids).orderBy('host').execute(),
    db.selectFrom('aggregate_metadata').select(['aggregate_id', 'key', 'value']).where('aggregate_id', 'in', ids).orderBy('key').execute(),
  ]);
  return rows.map((r) => ({
    id: Number(r.id), uuid: r.uuid, name: r.name, created_at: r.created_at, updated_at: r.updated_at,
    hosts: hosts.filter((h) => Number(h.aggregate_id) === Number(r.id)).map((h) => h.host),
    metadata: Object.fromEntries(meta.filter((m) => Number(m.aggregate_id) === Number(r.id)).map((m) => [m.key, m.value])),
  }));
}

export async function listAggregates(db: ComputeDb): Promise<Aggregate[]> {
  return withDetails(db, await db.selectFrom('aggregates').selectAll().orderBy('id').execute());
}

export async function getAggregate(db: ComputeDb, id: number): Promise<Aggregate> {
  // An id past the column's range names no aggregate (and PostgreSQL would refuse to compare it).
  if (!Number.isSafeInteger(id) || id < 1 || id > INT32_MAX) throw new AggregateNotFound(id);
  const [agg] = await withDetails(db, await db.selectFrom('aggregates').selectAll().where('id', '=', id).execute());
  if (!agg) throw new AggregateNotFound(id);
  return agg;
}

export async function createAggregate(db: ComputeDb, name: string, metadata: Record<string, string>): Promise<Aggregate> {
  if (await db.selectFrom('aggregates').select('id').where('name', '=', name).executeTakeFirst()) throw new AggregateNameExists(name);
  try {
    const id = await db.transaction().execute(async (trx) => {
      const row = await trx.insertInto('aggregates')
        .values({ uuid: randomUUID(), name, created_at: new Date().toISOString(), updated_at: null })
        .returning('id').executeTakeFirstOrThrow();
      const entries = Object.entries(metadata);
      if (entries.length > 0) {
        await trx.insertInto('aggregate_metadata').values(entries.map(([key, value]) => ({ aggregate_id: Number(row.id), key, value }))).execute();
      }
      return Number(row.id);
    });
    return getAggregate(db, id);
  } catch (err) {
    // Two creates of one name at once: the unique index decides, as the check above would have.
    if (isUniqueViolation(err)) throw new AggregateNameExists(name);
    throw err;
  }
}

export async function renameAggregate(db: ComputeDb, agg: Aggregate, name: string): Promise<void> {
  if (name === agg.name) return;
  const other = await db.selectFrom('aggregates').select('id').where('name', '=', name).where('id', '!=', agg.id).executeTakeFirst();
  if (other) throw new AggregateNameExists(name);
  try {
    await db.updateTable('aggregates').set({ name, updated_at: new Date().toISOString() }).where('id', '=', agg.id).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw new AggregateNameExists(name);
    throw err;
  }
}

/** Merges `updates` into the metadata: a null value removes its key. */
export async function updateAggregateMetadata(db: ComputeDb, agg: Aggregate, updates: Record<string, string | null>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const keys = Object.keys(updates);
    if (keys.length > 0) await trx.deleteFrom('aggregate_metadata').where('aggregate_id', '=', agg.id).where('key', 'in', keys).execute();
    const added = Object.entries(updates).filter((e): e is [string, string] => e[1] !== null);
    if (added.length > 0) {
      await trx.insertInto('aggregate_metadata').values(added.map(([key, value]) => ({ aggregate_id: agg.id, key, value }))).execute();
    }
    await trx.updateTable('aggregates').set({ updated_at: new Date().toISOString() }).where('id', '=', agg.id).execute();
  });
}

export async function deleteAggregate(db: ComputeDb, agg: Aggregate): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('aggregate_metadata').where('aggregate_id', '=', agg.id).execute();
    await trx.deleteFrom('aggregate_hosts').where('aggregate_id', '=', agg.id).execute();
    await trx.deleteFrom('aggregates').where('id', '=', agg.id).execute();
  });
}

/** Adds a host; false when it was already a member. */
export async function addAggregateHost(db: ComputeDb, agg: Aggregate, host: string): Promise<boolean> {
  try {
    const existing = await db.selectFrom('aggregate_hosts').select('host').where('aggregate_id', '=', agg.id).where('host', '=', host).executeTakeFirst();
    if (existing) return false;
    await db.insertInto('aggregate_hosts').values({ aggregate_id: agg.id, host }).execute();
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

/** Removes a host; false when it was not a member. */
export async function removeAggregateHost(db: ComputeDb, agg: Aggregate, host: string): Promise<boolean> {
  const res = await db.deleteFrom('aggregate_hosts').where('aggregate_id', '=', agg.id).where('host', '=', host).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** The availability zones of the aggregates these hosts belong to, by aggregate. */
export async function zonedAggregatesOf(db: ComputeDb, hosts: readonly string[]): Promise<Array<{ id: number; zone: string }>> {
  if (hosts.length === 0) return [];
  const rows = await db.selectFrom('aggregate_metadata')
    .innerJoin('aggregate_hosts', 'aggregate_hosts.aggregate_id', 'aggregate_metadata.aggregate_id')
    .select(['aggregate_metadata.aggregate_id', 'aggregate_metadata.value'])
    .where('aggregate_metadata.key', '=', AZ_KEY)
    .where('aggregate_hosts.host', 'in', [...hosts])
    .distinct()
    .execute();
  return rows.map((r) => ({ id: Number(r.aggregate_id), zone: r.value }));
}

/**
 * Each host that an aggregate puts in an availability zone, with that zone
 * (hosts in several zoned aggregates get their names joined, as Nova shows them).
 */
export async function hostZones(db: ComputeDb, hosts?: readonly string[]): Promise<Map<string, string>> {
  if (hosts && hosts.length === 0) return new Map();
  let q = db.selectFrom('aggregate_metadata')
    .innerJoin('aggregate_hosts', 'aggregate_hosts.aggregate_id', 'aggregate_metadata.aggregate_id')
    .select(['aggregate_hosts.host', 'aggregate_metadata.value'])
    .where('aggregate_metadata.key', '=', AZ_KEY);
  if (hosts) q = q.where('aggregate_hosts.host', 'in', [...hosts]);
  return zonesByHost(await q.execute());
}

/** Each host's zones, from (host, zone) rows: one name, or several sorted and joined by commas. */
export function zonesByHost(rows: Iterable<{ host: string; value: string }>): Map<string, string> {
  const zones = new Map<string, Set<string>>();
  for (const r of rows) {
    const set = zones.get(r.host) ?? new Set<string>();
    set.add(r.value);
    zones.set(r.host, set);
  }
  return new Map([...zones].map(([host, set]) => [host, [...set].sort().join(',')]));
}

/** How many live instances run on these hosts. */
export async function countInstancesOnHosts(db: ComputeDb, hosts: readonly string[]): Promise<number> {
  if (hosts.length === 0) return 0;
  const row = await db.selectFrom('instances').select(sql<number>`count(*)`.as('n'))
    .where('deleted', '=', 0).where('host', 'in', [...hosts]).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Records the zone a host is now in on its live instances, so servers show where they run. */
export async function setInstancesZone(db: ComputeDb, host: string, zone: string): Promise<void> {
  await db.updateTable('instances').set({ availability_zone: zone })
    .where('deleted', '=', 0).where('host', '=', host).execute();
}
