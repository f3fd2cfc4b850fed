/**
 * GET /v2/images query parameters, read as Glance reads them: known filters
 * with their operators (in:, eq:, gt:...), tags (repeatable), sorting in the
 * classic (sort_key/sort_dir) or new (sort=k:dir,...) syntax, limit/marker;
 * any other parameter filters on an extra property.
 */
import { BadRequest } from '../errors.js';
import { fitsInt32 } from '../db/integer-range.js';
import type { ListFilter, SortDir, SortKey } from './db/repository.js';
import { SORT_KEYS } from './db/repository.js';
import { VISIBILITIES, type Visibility } from './model.js';

export const DEFAULT_LIMIT = 25;
export const MAX_LIMIT = 1000;

export type RawQuery = Record<string, string | string[] | undefined>;

export interface ImageListQuery {
  visibility?: Visibility | 'all';
  memberStatus: 'pending' | 'accepted' | 'rejected' | 'all';
  filters: ListFilter[];
  sort: { key: SortKey; dir: SortDir }[];
  limit: number;
  marker?: string;
}

function all(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function last(v: string | string[] | undefined): string | undefined {
  const a = all(v);
  return a.length === 0 ? undefined : a[a.length - 1];
}

/** "in:a,b" → ['in', 'a,b']; "eq:a" → ['eq', 'a']; anything else is eq. */
function splitOperator(value: string): [string, string] {
  const m = /^(in|eq|neq|gt|gte|lt|lte):(.*)$/s.exec(value);
  return m ? [m[1]!, m[2]!] : ['eq', value];
}

/** Comma-separated values where a double-quoted value may hold commas. */
function splitList(value: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|([^,]*))\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < value.length && (m = re.exec(value)) !== null) {
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!.trim());
    if (m[0].length === 0) break;
  }
  return out;
}

const COMPARE_OPS: Record<string, '=' | '<>' | '<' | '<=' | '>' | '>='> = {
  eq: '=', neq: '<>', lt: '<', lte: '<=', gt: '>', gte: '>=',
};

function parseBool(name: string, value: string): boolean {
  const v = value.toLowerCase();
  if (v !== 'true' && v !== 'false') throw new BadRequest(`Invalid value '${value}' for '${name}' filter. Valid values are 'true' or 'false'.`);
  return v === 'true';
}

function parseInteger(value: string, message: string): number {
  // Past 2^53 a number is no longer the integer that was sent (and sizes are 64-bit columns).
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) throw new BadRequest(message);
  return Number(value);
}

function parseSort(query: RawQuery): { key: SortKey; dir: SortDir }[] {
  const checkKey = (k: string): SortKey => {
    if (!SORT_KEYS.includes(k as SortKey)) throw new BadRequest(`Invalid sort key: ${k}. It must be one of the following: ${SORT_KEYS.join(', ')}.`);
    return k as SortKey;
  };
  const checkDir = (d: string): SortDir => {
    if (d !== 'asc' && d !== 'desc') throw new BadRequest(`Invalid sort direction: ${d}`);
    return d;
  };
  const sort = last(query.sort);
  if (sort !== undefined) {
    if (query.sort_key !== undefined || query.sort_dir !== undefined) throw new BadRequest('Old and new sorting syntax cannot be combined');
    return sort.trim().split(',').map((part) => {
      const [key, dir] = part.split(':');
      return { key: checkKey(key!.trim()), dir: checkDir((dir ?? 'desc').trim()) };
    });
  }
  const keys = all(query.sort_key).map((k) => checkKey(k.trim()));
  const dirs = all(query.sort_dir).map((d) => checkDir(d.trim()));
  if (dirs.length > 1 && dirs.length !== keys.length) throw new BadRequest('Number of sort dirs does not match the number of sort keys');
  if (keys.length === 0) return [{ key: 'created_at', dir: dirs[0] ?? 'desc' }];
  return keys.map((key, i) => ({ key, dir: dirs.length > 1 ? dirs[i]! : (dirs[0] ?? 'desc') }));
}

export function parseListQuery(query: RawQuery): ImageListQuery {
  const filters: ListFilter[] = [];
  let visibility: ImageListQuery['visibility'];
  let memberStatus: ImageListQuery['memberStatus'] = 'accepted';
  let limit = DEFAULT_LIMIT;
  let marker: string | undefined;
  let hidden = false;

  for (const [name, raw] of Object.entries(query)) {
    const value = last(raw);
    if (value === undefined) continue;
    switch (name) {
      case 'sort': case 'sort_key': case 'sort_dir':
        break;
      case 'limit': {
        const n = parseInteger(value, 'limit param must be an integer');
        if (n < 0) throw new BadRequest('limit param must be positive');
        limit = Math.min(n, MAX_LIMIT);
        break;
      }
      case 'marker':
        marker = value;
        break;
      case 'member_status':
        if (!['pending', 'accepted', 'rejected', 'all'].includes(value)) throw new BadRequest(`Invalid status: ${value}`);
        memberStatus = value as ImageListQuery['memberStatus'];
        break;
      case 'visibility':
        if (![...VISIBILITIES, 'all'].includes(value)) throw new BadRequest(`Invalid visibility value: ${value}`);
        visibility = value as ImageListQuery['visibility'];
        break;
      case 'changes-since':
        throw new BadRequest('The "changes-since" filter is no longer available on v2.');
      case 'tag':
        for (const t of all(raw)) filters.push({ kind: 'tag', value: t.trim() });
        break;
      case 'os_hidden':
        hidden = parseBool('os_hidden', value);
        break;
      case 'protected':
        filters.push({ kind: 'eq', column: 'protected', value: parseBool('protected', value) ? 1 : 0 });
        break;
      case 'size_min': case 'size_max':
        filters.push({
          kind: 'compare', column: 'size', op: name === 'size_min' ? '>=' : '<=',
          value: parseInteger(value, 'Unable to filter on a range with a non-numeric value.'),
        });
        break;
      case 'min_disk': case 'min_ram': {
        const n = parseInteger(value, `Invalid value for ${name}`);
        if (!fitsInt32(n)) throw new BadRequest(`Invalid value for ${name}`);
        filters.push({ kind: 'eq', column: name, value: n });
        break;
      }
        break;
      case 'created_at': case 'updated_at': {
        const [op, time] = splitOperator(value);
        const cmp = COMPARE_OPS[op];
        const parsed = Date.parse(time);
        if (!cmp || Number.isNaN(parsed)) throw new BadRequest(`Bad "${name}" query filter format. Use ISO 8601 DateTime notation.`);
        filters.push({ kind: 'compare', column: name, op: cmp, value: new Date(parsed).toISOString() });
        break;
      }
      case 'name': case 'id': case 'status': case 'container_format': case 'disk_format': {
        const [op, rest] = splitOperator(value);
        if (op === 'in') filters.push({ kind: 'in', column: name, values: splitList(rest) });
        else if (op === 'eq') filters.push({ kind: 'in', column: name, values: [rest] });
        else throw new BadRequest(`Unable to filter by unknown operator '${op}'.`);
        break;
      }
      case 'owner': case 'checksum': case 'os_hash_value': case 'os_hash_algo':
        filters.push({ kind: 'eq', column: name, value });
        break;
      default:
        filters.push({ kind: 'property', name, value });
    }
  }
  filters.push({ kind: 'eq', column: 'os_hidden', value: hidden ? 1 : 0 });
  const result: ImageListQuery = { memberStatus, filters, sort: parseSort(query), limit };
  if (visibility !== undefined) result.visibility = visibility;
  if (marker !== undefined) result.marker = marker;
  return result;
}
