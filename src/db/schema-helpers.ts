/** Column shapes that differ between SQLite and PostgreSQL, for migrations. */
import { PostgresAdapter, type CreateTableBuilder, type Kysely } from 'kysely';

export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** An auto-incrementing integer primary key named `id`. */
export function withAutoId<T extends string>(db: Kysely<any>, table: CreateTableBuilder<T, any>): CreateTableBuilder<T, any> {
  return isPostgres(db)
    ? table.addColumn('id', 'serial', (c) => c.primaryKey())
    : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}

/** Timestamps are ISO-8601 UTC text on both dialects, so they compare and sort the same. */
export function nowIso(): string {
  return new Date().toISOString();
}

let lastIncreasingMs = 0;

/**
 * nowIso, but strictly increasing within the process, for rows whose
 * created_at decides an order (a network's subnets, which IP allocation tries
 * in creation order) even when two are made within one millisecond. Only for
 * rare writes: each call within a millisecond moves the clock on by one.
 */
export function increasingNowIso(): string {
  lastIncreasingMs = Math.max(Date.now(), lastIncreasingMs + 1);
  return new Date(lastIncreasingMs).toISOString();
}

/** True when the error is a unique-constraint violation on either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
