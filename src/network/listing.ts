/**
 * Neutron's list semantics for any of our tables: filters on attributes
 * (repeated values mean "any of"), tag filters, sort_key/sort_dir, and
 * limit/marker pagination — all done in SQL so a page costs one query.
 */
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import { invalidAttribute } from './errors.js';
import { BadRequest } from '../errors.js';
import { showValue } from '../http/validation.js';
import { INT32_MAX, fitsInt32 } from '../db/integer-range.js';

export type AttrKind = 'string' | 'bool' | 'int';

export interface AttrSpec { column: string; kind: AttrKind }

export interface SortSpec { key: string; dir: 'asc' | 'desc' }

/** A list request, already split out of the query string. */
export interface ListRequest {
  /** attribute → accepted values (any of). */
  filters: Record<string, string[]>;
  sorts: SortSpec[];
  limit?: number;
  marker?: string;
  pageReverse: boolean;
}

export interface ListResult<Row> {
  rows: Row[];
  /** More rows lie beyond this page in the direction of travel. */
  hasMore: boolean;
}

export interface ListableTable {
  table: string;
  attrs: Record<string, AttrSpec>;
  /** Extra filters a table understands beyond plain attributes (e.g. a port's fixed_ips). */
  special?: Record<string, (eb: ExpressionBuilder<any, any>, values: string[]) => Expression<SqlBool>>;
  /** Whether tags / tags-any / not-tags / not-tags-any apply. */
  taggable: boolean;
}

/** Query parameters that steer the list rather than filter it. */
const CONTROL_PARAMS = new Set(['fields', 'limit', 'marker', 'sort_key', 'sort_dir', 'page_reverse']);
const TAG_PARAMS = new Set(['tags', 'tags-any', 'not-tags', 'not-tags-any']);

export function parseBool(attr: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const v = value.toLowerCase();
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
  }
  if (value === 1) return true;
  if (value === 0) return false;
  throw invalidAttribute(attr, `'${showValue(value)}' is not a valid boolean value`);
}

function convert(attr: string, kind: AttrKind, value: string): string | number {
  if (kind === 'bool') return parseBool(attr, value) ? 1 : 0;
  if (kind === 'int') {
    if (!/^-?\d+$/.test(value) || !fitsInt32(Number(value))) throw invalidAttribute(attr, `'${value}' is not an integer`);
    return Number(value);
  }
  return value;
}

function asList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (v === undefined) return [];
  return [String(v)];
}

/** Split a parsed query string into a ListRequest; unknown filter attributes are refused, as Neutron's filter validation does. */
export function parseListRequest(query: Record<string, unknown>, table: ListableTable): ListRequest {
  const filters: Record<string, string[]> = {};
  for (const [key, raw] of Object.entries(query)) {
    if (CONTROL_PARAMS.has(key)) continue;
    if (!Object.hasOwn(table.attrs, key) && !(table.taggable && TAG_PARAMS.has(key)) && !(table.special && Object.hasOwn(table.special, key))) {
      throw new BadRequest(`[${key}] is invalid attribute for filtering`);
    }
    filters[key] = asList(raw);
  }
  const limitRaw = asList(query.limit)[0];
  let limit: number | undefined;
  if (limitRaw !== undefined) {
    if (!/^\d+$/.test(limitRaw)) throw new BadRequest(`Limit must be an integer 0 or greater and not '${limitRaw}'`);
    // A limit beyond any table's size means "all" (as in Neutron); clamped so the database gets an integer it takes.
    limit = Number(limitRaw) === 0 ? undefined : Math.min(Number(limitRaw), INT32_MAX);
  }
  const keys = asList(query.sort_key);
  const dirs = asList(query.sort_dir);
  if (dirs.length > 0 && dirs.length !== keys.length) {
    throw new BadRequest('The number of sort_keys and sort_dirs must be same');
  }
  const sorts: SortSpec[] = keys.map((key, i) => {
    if (!Object.hasOwn(table.attrs, key)) throw new BadRequest(`${key} is an invalid attribute for sort_keys`);
    const dir = (dirs[i] ?? 'asc').toLowerCase();
    if (dir !== 'asc' && dir !== 'desc') throw new BadRequest(`${dirs[i]} is an invalid value for sort_dirs, valid values are: asc, desc`);
    return { key, dir };
  });
  const reverseRaw = asList(query.page_reverse)[0];
  return {
    filters, sorts, limit,
    marker: asList(query.marker)[0],
    pageReverse: reverseRaw === undefined ? false : parseBool('page_reverse', reverseRaw),
  };
}

function tagCondition(eb: ExpressionBuilder<any, any>, table: string, param: string, values: string[]): Expression<SqlBool> {
  const tags = values.flatMap((v) => v.split(',')).filter((t) => t.length > 0);
  const has = (tag: string) => eb.exists(eb.selectFrom('neutron_tags').select(sql.lit(1).as('one'))
    .whereRef('neutron_tags.resource_id', '=', sql.ref(`${table}.id`) as any).where('neutron_tags.tag', '=', tag));
  const hasAny = () => eb.exists(eb.selectFrom('neutron_tags').select(sql.lit(1).as('one'))
    .whereRef('neutron_tags.resource_id', '=', sql.ref(`${table}.id`) as any).where('neutron_tags.tag', 'in', tags));
  if (tags.length === 0) return sql<SqlBool>`1 = 1`;
  switch (param) {
    case 'tags': return eb.and(tags.map(has));
    case 'tags-any': return hasAny();
    case 'not-tags': return eb.not(eb.and(tags.map(has)));
    default: return eb.not(hasAny());
  }
}

/**
 * One page of rows. `scope` narrows to what the caller may see; it is applied
 * to the marker lookup too, so a marker outside the caller's view is not found.
 */
export async function listRows<Row extends { id: string }>(
  db: Kysely<any>, spec: ListableTable, req: ListRequest,
  scope: ((eb: ExpressionBuilder<any, any>) => Expression<SqlBool>) | null,
  notFound: (id: string) => Error,
): Promise<ListResult<Row>> {
  const t = spec.table;
  // id is always the last sort key so the order is total and markers are exact.
  const sorts: SortSpec[] = [...req.sorts.filter((s) => s.key !== 'id')];
  const idSort = req.sorts.find((s) => s.key === 'id');
  sorts.push({ key: 'id', dir: idSort?.dir ?? 'asc' });
  const effective = sorts.map((s) => ({
    column: s.key === 'id' ? 'id' : spec.attrs[s.key]!.column,
    dir: (req.pageReverse ? (s.dir === 'asc' ? 'desc' : 'asc') : s.dir) as 'asc' | 'desc',
  }));

  let markerRow: Record<string, unknown> | undefined;
  if (req.marker !== undefined) {
    let mq = db.selectFrom(t).selectAll().where(`${t}.id`, '=', req.marker);
    if (scope) mq = mq.where(scope);
    markerRow = await mq.executeTakeFirst();
    if (!markerRow) throw notFound(req.marker);
  }

  let q = db.selectFrom(t).selectAll(t);
  if (scope) q = q.where(scope);
  for (const [attr, values] of Object.entries(req.filters)) {
    if (spec.taggable && TAG_PARAMS.has(attr)) {
      q = q.where((eb) => tagCondition(eb, t, attr, values));
    } else if (spec.special && Object.hasOwn(spec.special, attr)) {
      const special = spec.special[attr]!;
      q = q.where((eb) => special(eb, values));
    } else {
      const a = spec.attrs[attr]!;
      const converted = values.map((v) => convert(attr, a.kind, v));
      q = q.where(`${t}.${a.column}`, 'in', converted);
    }
  }
  if (markerRow) {
    const m = markerRow;
    // Rows strictly after the marker in the (lexicographic) sort order.
    q = q.where((eb) => eb.or(effective.map((_, i) => eb.and([
      ...effective.slice(0, i).map((p) => eb(`${t}.${p.column}`, '=', m[p.column] as any)),
      eb(`${t}.${effective[i]!.column}`, effective[i]!.dir === 'asc' ? '>' : '<', m[effective[i]!.column] as any),
    ]))));
  }
  for (const s of effective) q = q.orderBy(`${t}.${s.column}`, s.dir);
  if (req.limit !== undefined) q = q.limit(req.limit + 1);
  const rows = (await q.execute()) as Row[];
  const hasMore = req.limit !== undefined && rows.length > req.limit;
  if (hasMore) rows.length = req.limit!;
  if (req.pageReverse) rows.reverse();
  return { rows, hasMore };
}
