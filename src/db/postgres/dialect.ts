import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { DatabaseDialect, DatabaseHandle } from '../dialect.js';

// COUNT(*) and SUM() come back as int8; our values fit in a JS number.
pg.types.setTypeParser(20, (v: string) => Number(v));

export interface PostgresOpenOptions {
  /** Schema to use as search_path (the tests give each run its own). */
  schema?: string;
}

export function openPostgres(url: string, opts: PostgresOpenOptions = {}): DatabaseHandle {
  const normalized = url.replace(/^postgresql\+\w+:/, 'postgresql:');
  const pool = new pg.Pool({
    connectionString: normalized,
    max: 10,
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', url, close: () => db.destroy() };
}

export const postgresDialect: DatabaseDialect = {
  name: 'postgres',
  matches: (url) => /^postgres(ql)?(\+\w+)?:/.test(url),
  open: (url) => openPostgres(url),
};
