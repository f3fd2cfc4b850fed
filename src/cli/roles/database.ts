/** The database of the roles that have one (api, conductor, scheduler, all-in-one), migrated on open. */
import type { Config } from '../../conf/options.js';
import { databaseUrl } from '../../conf/loader.js';
import { openDatabase, type DatabaseHandle } from '../../db/database.js';
import { syncDatabase, type MigrationSet } from '../../db/migrate.js';
import { identityMigrations } from '../../identity/migrations.js';
import { imageMigrations } from '../../image/migrations.js';
import { networkMigrations } from '../../network/migrations.js';
import { placementMigrations } from '../../placement/migrations.js';
import { computeMigrations } from '../../compute/db/migrations.js';
import type { Cleanups } from './common.js';

export const MIGRATION_SETS: readonly MigrationSet[] = [identityMigrations, imageMigrations, networkMigrations, placementMigrations, computeMigrations];

export async function openSyncedDatabase(conf: Config, cleanups: Cleanups): Promise<DatabaseHandle> {
  const database = openDatabase(databaseUrl(conf), { maxPoolSize: conf.database.max_pool_size });
  cleanups.push(() => database.close());
  await syncDatabase(database.db, MIGRATION_SETS);
  return database;
}
