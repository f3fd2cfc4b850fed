/** Reading Nova's migrations table (os-migrations); the actions that move servers write it. */
import type { Selectable } from 'kysely';
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
