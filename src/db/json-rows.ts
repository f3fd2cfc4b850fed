/**
 * A subquery's rows as one JSON array column of the outer row, in the
 * database's own JSON functions: a record and its child rows (a flavor's extra
 * specs, an image's properties) come back in one round trip instead of one
 * per table. PostgreSQL hands the column back parsed, SQLite as text.
 */
import type { Expression, Kysely, RawBuilder } from 'kysely';
import { jsonArrayFrom as postgresJsonArrayFrom } from 'kysely/helpers/postgres';
import { jsonArrayFrom as sqliteJsonArrayFrom } from 'kysely/helpers/sqlite';
import { isPostgres } from './schema-helpers.js';

/** Typed as the rows or their JSON text: rowsOfJson reads it. */
export function jsonRowsFrom<O>(db: Kysely<any>, subquery: Expression<O>): RawBuilder<O[] | string> {
  return (isPostgres(db) ? postgresJsonArrayFrom(subquery) : sqliteJsonArrayFrom(subquery as never)) as unknown as RawBuilder<O[] | string>;
}

export function rowsOfJson<O>(column: O[] | string): O[] {
  return typeof column === 'string' ? JSON.parse(column) as O[] : column;
}
