import { sqliteDialect } from './sqlite/dialect.js';
import { postgresDialect } from './postgres/dialect.js';
import type { DatabaseHandle } from './dialect.js';

const DIALECTS = [sqliteDialect, postgresDialect];

export class UnsupportedDatabaseUrl extends Error {}

/**
 * Only the scheme goes into the message: the URL carries the password, and a
 * password may contain '@' or '/', so masking the rest by pattern can leak it.
 */
function schemeOf(url: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url);
  return m ? `${m[1]}://...` : '(no scheme)';
}

/** maxPoolSize bounds a PostgreSQL pool's connections ([database] max_pool_size); SQLite has one. */
export function openDatabase(url: string, opts: { maxPoolSize?: number } = {}): DatabaseHandle {
  const dialect = DIALECTS.find((d) => d.matches(url));
  if (!dialect) throw new UnsupportedDatabaseUrl(`unsupported database URL ${schemeOf(url)}: use sqlite:///path or postgresql://...`);
  return dialect.open(url, opts);
}

export type { DatabaseHandle } from './dialect.js';
