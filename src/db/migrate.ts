/**
 * Each service owns its tables and its own migration history (as Keystone,
 * Glance, Neutron, Placement and Nova each have their own), kept in one
 * database here but in separate migration tables.
 */
import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import { isPostgres } from './schema-helpers.js';

export interface MigrationSet {
  /** Service name; the history lives in kilonova_migrations_<name>. */
  name: string;
  /** Keys sort in the order they apply: '001_initial', '002_...'. */
  migrations: Record<string, Migration>;
}

export class MigrationFailed extends Error {}

export async function syncDatabase(db: Kysely<any>, sets: readonly MigrationSet[]): Promise<string[]> {
  const applied: string[] = [];
  // On PostgreSQL the migrator looks for its tables in every schema unless told
  // which one: a database shared by several schemas would make it skip creating its own.
  const schema = isPostgres(db)
    ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
    : undefined;
  for (const set of sets) {
    const migrator = new Migrator({
      db,
      provider: { getMigrations: async () => set.migrations },
      migrationTableName: `kilonova_migrations_${set.name}`,
      migrationLockTableName: `kilonova_migrations_${set.name}_lock`,
      ...(schema ? { migrationTableSchema: schema } : {}),
    });
    const { error, results } = await migrator.migrateToLatest();
    for (const r of results ?? []) {
      if (r.status === 'Success') applied.push(`${set.name}/${r.migrationName}`);
      if (r.status === 'Error') throw new MigrationFailed(`migration ${set.name}/${r.migrationName} failed: ${String((error as Error)?.message ?? error)}`);
    }
    if (error) throw new MigrationFailed(`migrations for ${set.name} failed: ${String((error as Error)?.message ?? error)}`);
  }
  return applied;
}
