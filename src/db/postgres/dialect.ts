import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { DatabaseDialect, DatabaseHandle } from '../dialect.js';

// COUNT(*) and SUM() come back as int8; our values fit in a JS number.
pg.types.setTypeParser(20, (v: string) => Number(v));

export interface PostgresOpenOptions {
  /** Schema to use as search_path (the tests give each run its own). */
  schema?: string;
  /** Connections the pool may hold (default 10). */
  maxPoolSize?: number;
  /** Told when a pooled connection dies while idle (the pool has already dropped it). */
  onIdleConnectionError?: (err: Error) => void;
}

export function openPostgres(url: string, opts: PostgresOpenOptions = {}): DatabaseHandle {
  const normalized = url.replace(/^postgresql\+\w+:/, 'postgresql:');
  const pool = new pg.Pool({
    connectionString: normalized,
    max: opts.maxPoolSize ?? 10,
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  // pg re-emits an error of an idle pooled connection (the server restarted, an admin
  // terminated it, the pool is ending while the server says goodbye) on the pool, and an
  // EventEmitter 'error' with no listener kills the process. The pool has already dropped
  // that connection and the next query opens a fresh one; a query in flight gets its own error.
  pool.on('error', (err) => opts.onIdleConnectionError?.(err));
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', url, close: () => db.destroy() };
}

export const postgresDialect: DatabaseDialect = {
  name: 'postgres',
  matches: (url) => /^postgres(ql)?(\+\w+)?:/.test(url),
  open: (url, opts) => openPostgres(url, { maxPoolSize: opts?.maxPoolSize }),
};
