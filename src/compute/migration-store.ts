/**
 * Nova's migrations table (the Migration object): written by resize and cold
 * migration, read by os-migrations.
 */
import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { nowIso } from '../db/schema-helpers.js';
import type { ComputeDb, MigrationsTable } from './db/tables.js';

export type MigrationRow = Selectable<MigrationsTable>;

export interface MigrationFilters {
  hidden?: boolean;
  /** Source or destination compute host. */
  host?: string;
  instanceUuid?: string;
  sourceCompute?: string;
  status?: string;
  migrationType?: string;
  changesSince?: string;
  changesBefore?: string;
  userId?: string;
  projectId?: string;
}

export class MigrationMarkerNotFound extends Error {
  constructor(readonly marker: string) { super(`Marker ${marker} could not be found.`); }
}

/**
 * Migrations matching the filters, newest first (created_at, id descending),
 * one page after the migration whose uuid is `marker`.
 */
export async function listMigrations(db: ComputeDb, f: MigrationFilters, page: { limit?: number; marker?: string } = {}): Promise<MigrationRow[]> {
  let q = db.selectFrom('migrations').selectAll().where('deleted', '=', 0);
  if (f.hidden !== undefined) q = q.where('hidden', '=', f.hidden ? 1 : 0);
  if (f.host !== undefined) {
    const host = f.host;
    q = q.where((eb) => eb.or([eb('source_compute', '=', host), eb('dest_compute', '=', host)]));
  }
  if (f.instanceUuid !== undefined) q = q.where('instance_uuid', '=', f.instanceUuid);
  if (f.sourceCompute !== undefined) q = q.where('source_compute', '=', f.sourceCompute);
  if (f.status !== undefined) q = q.where('status', '=', f.status);
  if (f.migrationType !== undefined) q = q.where('migration_type', '=', f.migrationType);
  if (f.changesSince !== undefined) q = q.where('updated_at', '>=', f.changesSince);
  if (f.changesBefore !== undefined) q = q.where('updated_at', '<=', f.changesBefore);
  if (f.userId !== undefined) q = q.where('user_id', '=', f.userId);
  if (f.projectId !== undefined) q = q.where('project_id', '=', f.projectId);
  if (page.marker !== undefined) {
    const m = await db.selectFrom('migrations').select(['id', 'created_at']).where('uuid', '=', page.marker).executeTakeFirst();
    if (!m) throw new MigrationMarkerNotFound(page.marker);
    q = q.where((eb) => eb.or([eb('created_at', '<', m.created_at), eb.and([eb('created_at', '=', m.created_at), eb('id', '<', m.id)])]));
  }
  q = q.orderBy('created_at', 'desc').orderBy('id', 'desc');
  if (page.limit !== undefined) q = q.limit(page.limit);
  return q.execute();
}

export async function createMigration(db: ComputeDb, values: {
  instanceUuid: string; sourceCompute: string; sourceNode: string | null; oldFlavorId: number; newFlavorId: number;
  migrationType: 'resize' | 'migration' | 'live-migration' | 'evacuation'; userId: string; projectId: string;
  /** Resize and migration start 'pre-migrating'; live migration and evacuation 'accepted', as Nova's. */
  status?: string;
  destCompute?: string | null;
}): Promise<MigrationRow> {
  return db.insertInto('migrations').values({
    uuid: randomUUID(), created_at: nowIso(), updated_at: null, deleted_at: null, deleted: 0,
    source_compute: values.sourceCompute, source_node: values.sourceNode, dest_compute: values.destCompute ?? null, dest_node: null, dest_host: null,
    old_instance_type_id: values.oldFlavorId, new_instance_type_id: values.newFlavorId, instance_uuid: values.instanceUuid,
    status: values.status ?? 'pre-migrating', migration_type: values.migrationType, hidden: 0, cross_cell_move: 0,
    memory_total: null, memory_processed: null, memory_remaining: null, disk_total: null, disk_processed: null, disk_remaining: null,
    user_id: values.userId, project_id: values.projectId,
  }).returningAll().executeTakeFirstOrThrow();
}

export async function getMigration(db: ComputeDb, uuid: string): Promise<MigrationRow | undefined> {
  return db.selectFrom('migrations').selectAll().where('uuid', '=', uuid).where('deleted', '=', 0).executeTakeFirst();
}

/** Sets the status (and more); with `from`, only while the status is still one of those. */
export async function updateMigration(db: ComputeDb, uuid: string, values: Partial<Omit<MigrationRow, 'id' | 'uuid' | 'created_at'>>, from?: string[]): Promise<boolean> {
  let q = db.updateTable('migrations').set({ ...values, updated_at: nowIso() }).where('uuid', '=', uuid);
  if (from) q = q.where('status', 'in', from);
  return Number((await q.executeTakeFirst()).numUpdatedRows) > 0;
}

/** The instance's newest migration in this status (Nova's get_by_instance_and_status). */
export async function migrationByStatus(db: ComputeDb, instanceUuid: string, status: string): Promise<MigrationRow | undefined> {
  return db.selectFrom('migrations').selectAll().where('instance_uuid', '=', instanceUuid).where('status', '=', status)
    .where('deleted', '=', 0).orderBy('id', 'desc').limit(1).executeTakeFirst();
}

/** Finished resizes older than the window on this destination (Nova's get_unconfirmed_by_dest_compute). */
export async function unconfirmedByDest(db: ComputeDb, host: string, windowS: number): Promise<MigrationRow[]> {
  const cutoff = new Date(Date.now() - windowS * 1000).toISOString();
  return db.selectFrom('migrations').selectAll().where('status', '=', 'finished').where('dest_compute', '=', host)
    .where('deleted', '=', 0).where('updated_at', '<=', cutoff).execute();
}

/** Live migrations of the instance still under way (what /servers/{id}/migrations lists). */
export const LIVE_MIGRATION_IN_PROGRESS = ['queued', 'preparing', 'running', 'post-migrating'] as const;

export async function inProgressLiveMigrations(db: ComputeDb, instanceUuid: string): Promise<MigrationRow[]> {
  return db.selectFrom('migrations').selectAll().where('instance_uuid', '=', instanceUuid).where('deleted', '=', 0)
    .where('migration_type', '=', 'live-migration').where('status', 'in', [...LIVE_MIGRATION_IN_PROGRESS]).orderBy('id').execute();
}

/** The instance's migration with this id (Nova's get_by_id_and_instance). */
export async function migrationByIdAndInstance(db: ComputeDb, id: number, instanceUuid: string): Promise<MigrationRow | undefined> {
  return db.selectFrom('migrations').selectAll().where('id', '=', id).where('instance_uuid', '=', instanceUuid).where('deleted', '=', 0).executeTakeFirst();
}

/** Evacuations away from this host whose leftovers the host has not cleaned yet (Nova's _destroy_evacuated_instances). */
export async function evacuationsFrom(db: ComputeDb, host: string): Promise<MigrationRow[]> {
  return db.selectFrom('migrations').selectAll().where('source_compute', '=', host).where('migration_type', '=', 'evacuation')
    .where('status', 'in', ['accepted', 'pre-migrating', 'done']).where('deleted', '=', 0).execute();
}
