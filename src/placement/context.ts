/** What every placement module works with, and the row-level helpers they share. */
import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import { nowIso } from '../db/schema-helpers.js';
import { ConcurrentUpdate, ProviderNotFound } from './errors.js';
import type { PlacementDb, PlacementTables, ResourceProviderRow } from './tables.js';
import type { ResourceProvider } from './types.js';

export interface PlacementContext {
  db: PlacementDb;
  /** PostgreSQL: writers lock provider rows (SELECT ... FOR UPDATE); SQLite serializes transactions anyway. */
  postgres: boolean;
  logger: Logger;
}

export type Tx = Transaction<PlacementTables> | PlacementDb;

export type ProviderRecord = Omit<ResourceProviderRow, 'id'> & { id: number };

export function toProvider(row: Pick<ProviderRecord, 'uuid' | 'name' | 'generation' | 'parent_provider_uuid' | 'root_provider_uuid'>): ResourceProvider {
  return {
    uuid: row.uuid,
    name: row.name,
    generation: row.generation,
    parentProviderUuid: row.parent_provider_uuid,
    rootProviderUuid: row.root_provider_uuid,
  };
}

/**
 * The provider row, locked for the rest of the transaction on PostgreSQL so
 * that every writer of a provider queues behind the one holding it instead of
 * failing its generation check.
 */
export async function lockProvider(ctx: PlacementContext, trx: Tx, uuid: string): Promise<ProviderRecord> {
  let q = trx.selectFrom('placement_resource_providers').selectAll().where('uuid', '=', uuid);
  if (ctx.postgres) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw new ProviderNotFound(uuid);
  return row as ProviderRecord;
}

/** Compare-and-swap of a provider's generation; a miss means someone else wrote first. */
export async function bumpGeneration(trx: Tx, provider: { id: number; uuid: string; generation: number }): Promise<number> {
  const res = await trx.updateTable('placement_resource_providers')
    .set({ generation: provider.generation + 1, updated_at: nowIso() })
    .where('id', '=', provider.id)
    .where('generation', '=', provider.generation)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) {
    throw new ConcurrentUpdate(`resource provider generation conflict for ${provider.uuid}: another thread updated it. Please retry your update`);
  }
  return provider.generation + 1;
}

/** A provider must carry the generation the caller read, when the caller gives one. */
export function checkGeneration(provider: { uuid: string; generation: number }, expected: number | undefined): void {
  if (expected !== undefined && expected !== provider.generation) {
    throw new ConcurrentUpdate(`resource provider generation conflict for ${provider.uuid}: expected ${expected}, got ${provider.generation}. Please update the generation and try again.`);
  }
}

/** Errors after which the whole transaction may simply run again. */
export function isRetryableDbError(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === '40001' || code === '40P01' || code === '23505' || code === 'SQLITE_BUSY'
    || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Capacity as placement reports it: what the provider can ever hand out. */
export function capacityOf(inv: { total: number; reserved: number; allocation_ratio: number }): number {
  // The epsilon keeps 10 × 0.7 (6.999…) from losing a unit to binary floating point.
  return Math.floor((inv.total - inv.reserved) * inv.allocation_ratio + 1e-9);
}
