import { sqliteDialect } from './sqlite/dialect.js';
import { postgresDialect } from './postgres/dialect.js';
import type { DatabaseHandle } from './dialect.js';

const DIALECTS = [sqliteDialect, postgresDialect];

export class UnsupportedDatabaseUrl extends Error {}

export function openDatabase(url: string): DatabaseHandle {
  const dialect = DIALECTS.find((d) => d.matches(url));
  if (!dialect) throw new UnsupportedDatabaseUrl(`unsupported database URL "${url.replace(/\/\/[^@/]*@/, '//***@')}": use sqlite:///path or postgresql://...`);
  return dialect.open(url);
}

export type { DatabaseHandle } from './dialect.js';
