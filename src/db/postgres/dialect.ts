import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { DatabaseDialect, DatabaseHandle } from '../dialect.js';

// COUNT(*) and SUM() come back as int8; our values fit in a JS number.
pg.types.setTypeParser(20, (v: string) => Number(v));

/** Statements worth preparing: the queries and writes the services repeat (not DDL, not transaction control). */
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;
/** Statement texts are named the same on every connection of the process; past this many, new ones go unnamed. */
const MAX_NAMED_STATEMENTS = 2000;
const statementNames = new Map<string, string>();

/**
 * A connection that has PostgreSQL parse and plan each repeated statement once
 * (a named prepared statement per text, per connection) instead of on every
 * execution: the services send a few dozen statement texts over and over, and
 * parsing and planning them was a good part of the server's CPU per boot.
 */
type AnyQuery = (...args: unknown[]) => never;

class PreparingClient extends pg.Client {
  override query(...args: unknown[]): never {
    const query = super.query.bind(this) as unknown as AnyQuery;
    const [text, values] = args;
    if (typeof text === 'string' && Array.isArray(values) && args.length === 2 && PREPARABLE.test(text)) {
      let name = statementNames.get(text);
      if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
        name = `kn_${statementNames.size}`;
        statementNames.set(text, name);
      }
      if (name !== undefined) return query({ name, text, values });
    }
    return query(...args);
  }
}

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
    Client: PreparingClient,
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
