/**
 * The database port. Each implementation (sqlite/, postgres/) turns a
 * connection URL into a Kysely instance; everything above works on Kysely and
 * never on a driver directly.
 */
import type { Kysely } from 'kysely';

export type DialectName = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  /** Typed per service by a cast to Kysely<ThatServiceTables>. */
  readonly db: Kysely<any>;
  readonly dialect: DialectName;
  readonly url: string;
  close(): Promise<void>;
}

export interface DatabaseDialect {
  readonly name: DialectName;
  matches(url: string): boolean;
  open(url: string, opts?: { maxPoolSize?: number }): DatabaseHandle;
}
