/**
 * GET /servers and /servers/detail: one query for the page of rows (filters,
 * sort, marker), one for their metadata, one for faults of ERROR servers.
 */
import { sql } from 'kysely';
import { BadRequest } from '../errors.js';
import type { ComputeDb } from './db/tables.js';
import { getMetadata, type InstanceRow } from './instance-store.js';
import { getTags } from './tags.js';

/** Columns a list may match exactly (any of the given values), as Nova's exact-match filters. */
export type ExactColumn = 'user_id' | 'image_ref' | 'vm_state' | 'task_state' | 'uuid' | 'host';

/**
 * Columns a list may match with a regular expression, searched anywhere in
 * the column's text (Nova's regex filters: REGEXP on MySQL, ~ on PostgreSQL).
 */
export type RegexColumn = 'display_name' | 'display_description' | 'hostname' | 'key_name' | 'node' | 'reservation_id'
  | 'availability_zone' | 'config_drive' | 'root_device_name' | 'access_ip_v4' | 'access_ip_v6' | 'power_state' | 'progress'
  | 'launch_index' | 'locked_by' | 'created_at' | 'launched_at' | 'terminated_at';

export interface ListOptions {
  allTenants?: boolean;
  projectId?: string;
  exact?: Partial<Record<ExactColumn, string[]>>;
  regex?: Partial<Record<RegexColumn, string>>;
  flavor?: string;
  changesSince?: string;
  changesBefore?: string;
  /** Regular expressions matched at the start of any of a server's addresses (Nova's ip / ip6 filters). */
  ip?: string;
  ip6?: string;
  locked?: boolean;
  /**
   * Deleted servers: listed 'only' (an admin's deleted=true), 'also' (a
   * changes-since or changes-before without deleted, which shows what went
   * away), or not at all (undefined).
   */
  includeDeleted?: 'only' | 'also';
  /** Soft-deleted servers: hidden among live ones unless true; among deleted ones shown unless false (Nova's defaults). */
  softDeleted?: boolean;
  /** Some filter no server can match (e.g. one on a value every server here has otherwise). */
  matchesNothing?: boolean;
  limit?: number;
  marker?: string;
  sortKeys?: string[];
  sortDirs?: Array<'asc' | 'desc'>;
  /** Tag filters (2.26): all of, any of, not all of, none of. */
  tags?: string[];
  tagsAny?: string[];
  notTags?: string[];
  notTagsAny?: string[];
}

/** The columns the server views read; the list selects only these (each column costs time per row). */
export const VIEW_COLUMNS = [
  'id', 'uuid', 'display_name', 'display_description', 'vm_state', 'task_state', 'power_state', 'project_id', 'user_id',
  'host', 'node', 'hostname', 'image_ref', 'flavor', 'created_at', 'updated_at', 'launched_at', 'terminated_at',
  'network_info', 'security_groups', 'access_ip_v4', 'access_ip_v6', 'availability_zone', 'config_drive', 'key_name',
  'progress', 'reservation_id', 'launch_index', 'root_device_name', 'user_data', 'locked', 'locked_reason', 'version', 'auto_disk_config', 'trusted_certs',
] as const satisfies ReadonlyArray<keyof InstanceRow>;

/** What a page of the list carries: enough to name each server and to know whether its cached view is current. */
export const PAGE_COLUMNS = ['id', 'uuid', 'display_name', 'version'] as const satisfies ReadonlyArray<keyof InstanceRow>;
export type InstancePageRow = Pick<InstanceRow, (typeof PAGE_COLUMNS)[number]>;

export interface InstancePage {
  rows: InstancePageRow[];
  /** True when there may be more (the page is full). */
  more: boolean;
}

export interface ViewRows {
  rows: Map<string, InstanceViewRow>;
  metadata: Map<string, Record<string, string>>;
  faults: Faults;
  tags: Map<string, string[]>;
  /** The zone each server is pinned to (2.96), by uuid; absent when none. */
  pinnedZones: Map<string, string>;
}

export type InstanceViewRow = Pick<InstanceRow, (typeof VIEW_COLUMNS)[number]>;

/** The latest fault of each server, by uuid. */
export type Faults = Map<string, { code: number; message: string; details: string; created_at: string }>;

const SORT_COLUMNS: Record<string, keyof InstanceRow> = {
  created_at: 'created_at', updated_at: 'updated_at', display_name: 'display_name', display_description: 'display_description',
  uuid: 'uuid', vm_state: 'vm_state', task_state: 'task_state', power_state: 'power_state', host: 'host', node: 'node',
  launched_at: 'launched_at', hostname: 'hostname', key_name: 'key_name', project_id: 'project_id', user_id: 'user_id',
  image_ref: 'image_ref', availability_zone: 'availability_zone', locked: 'locked', terminated_at: 'terminated_at',
  launch_index: 'launch_index', access_ip_v4: 'access_ip_v4', access_ip_v6: 'access_ip_v6', config_drive: 'config_drive',
  locked_by: 'locked_by', progress: 'progress', root_device_name: 'root_device_name',
};

export type ListQuery = ListOptions & { maxLimit: number };

/** A stored timestamp as Nova's database prints it too (2026-01-02 03:04:05), so either form of a pattern matches. */
function columnTexts(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  const text = String(value);
  return /^\d{4}-\d\d-\d\dT/.test(text) ? [text, text.slice(0, 19).replace('T', ' ')] : [text];
}

function compile(pattern: string, field: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch {
    throw new BadRequest(`Invalid regular expression in ${field} filter: ${pattern}`);
  }
}

function addressesOf(networkInfo: string): string[] {
  try {
    const vifs = JSON.parse(networkInfo) as Array<{ network?: { subnets?: Array<{ ips?: Array<{ address: string; floating_ips?: Array<{ address: string }> }> }> } }>;
    return (vifs ?? []).flatMap((v) => (v.network?.subnets ?? []).flatMap((s) => (s.ips ?? []).flatMap((ip) => [ip.address, ...(ip.floating_ips ?? []).map((f) => f.address)])));
  } catch {
    return [];
  }
}

/** The filters SQL cannot express portably (regular expressions), as one predicate over whole rows; undefined when there are none. */
function rowMatcher(opts: ListOptions): ((row: InstanceRow) => boolean) | undefined {
  const tests: Array<(row: InstanceRow) => boolean> = [];
  for (const [column, pattern] of Object.entries(opts.regex ?? {}) as Array<[RegexColumn, string]>) {
    const re = compile(pattern, column === 'display_name' ? 'name' : column);
    tests.push((row) => columnTexts(row[column]).some((t) => re.test(t)));
  }
  if (opts.ip !== undefined || opts.ip6 !== undefined) {
    // Matched at the start of an address, as Python's re.match; either pattern may match any address.
    const res = [opts.ip, opts.ip6].filter((p): p is string => p !== undefined).map((p) => compile(`^(?:${p})`, 'ip'));
    tests.push((row) => addressesOf(row.network_info).some((a) => res.some((re) => re.test(a))));
  }
  return tests.length === 0 ? undefined : (row) => tests.every((t) => t(row));
}

/** The page of servers a list request names, in order; one query. */
export async function listInstancePage(db: ComputeDb, opts: ListQuery): Promise<InstancePage> {
  const limit = Math.min(opts.limit ?? opts.maxLimit, opts.maxLimit);
  const sortKeys = (opts.sortKeys?.length ? opts.sortKeys : ['created_at']).map((k) => {
    const col = Object.hasOwn(SORT_COLUMNS, k) ? SORT_COLUMNS[k] : undefined;
    if (!col) throw new BadRequest(`Invalid sort_key: ${k}`);
    return col;
  });
  const sortDirs = sortKeys.map((_, i) => opts.sortDirs?.[i] ?? opts.sortDirs?.[0] ?? 'desc');
  const matches = rowMatcher(opts);
  if (opts.matchesNothing) return { rows: [], more: false };

  let q = matches ? db.selectFrom('instances').selectAll() : db.selectFrom('instances').select(PAGE_COLUMNS);
  if (opts.includeDeleted === 'only') {
    q = q.where((eb) => eb.or([eb('deleted', '!=', 0), ...(opts.softDeleted === false ? [] : [eb('vm_state', '=', 'soft-delete')])]));
  } else if (opts.includeDeleted === undefined) {
    q = q.where('deleted', '=', 0);
    if (!opts.softDeleted) q = q.where('vm_state', '!=', 'soft-delete');
  }
  if (opts.projectId) q = q.where('project_id', '=', opts.projectId);
  for (const [column, values] of Object.entries(opts.exact ?? {}) as Array<[ExactColumn, string[]]>) {
    if (values.length === 0) return { rows: [], more: false };
    // A null task_state is what the API calls no task: Nova's filter matches it by the word None.
    const named = values.filter((v) => !(column === 'task_state' && v === 'None'));
    q = q.where((eb) => eb.or([
      ...(named.length > 0 ? [eb(column, 'in', named)] : []),
      ...(named.length < values.length ? [eb(column, 'is', null)] : []),
    ]));
  }
  if (opts.flavor) {
    const f = opts.flavor.slice(opts.flavor.lastIndexOf('/') + 1);
    q = q.where(sql<string>`flavor`, 'like', `%"flavorid":${JSON.stringify(f)}%`);
  }
  if (opts.changesSince) q = q.where('updated_at', '>=', opts.changesSince);
  if (opts.changesBefore) q = q.where('updated_at', '<=', opts.changesBefore);
  if (opts.locked !== undefined) q = q.where('locked', '=', opts.locked ? 1 : 0);
  const withTag = (tag: string) => db.selectFrom('tags').select('tags.resource_id').where('tags.resource_id', '=', sql.ref<string>('instances.uuid')).where('tags.tag', '=', tag);
  if (opts.tags?.length) q = q.where((eb) => eb.and(opts.tags!.map((t) => eb.exists(withTag(t)))));
  if (opts.tagsAny?.length) q = q.where((eb) => eb.or(opts.tagsAny!.map((t) => eb.exists(withTag(t)))));
  if (opts.notTags?.length) q = q.where((eb) => eb.not(eb.and(opts.notTags!.map((t) => eb.exists(withTag(t))))));
  if (opts.notTagsAny?.length) q = q.where((eb) => eb.and(opts.notTagsAny!.map((t) => eb.not(eb.exists(withTag(t))))));

  if (opts.marker) {
    const marker = await db.selectFrom('instances').selectAll().where('uuid', '=', opts.marker).executeTakeFirst();
    if (!marker) throw new BadRequest(`marker [${opts.marker}] not found`);
    // Keyset pagination on (sort keys..., id) in the requested directions.
    const keys = [...sortKeys, 'id' as const];
    const dirs = [...sortDirs, sortDirs[0]];
    q = q.where((eb) => eb.or(keys.map((k, i) => eb.and([
      ...keys.slice(0, i).map((prev) => eb(prev, '=', marker[prev] as never)),
      eb(k, dirs[i] === 'desc' ? '<' : '>', marker[k] as never),
    ]))));
  }
  for (let i = 0; i < sortKeys.length; i++) q = q.orderBy(sortKeys[i], sortDirs[i]);
  q = q.orderBy('id', sortDirs[0]);
  // Regular expressions are matched here rather than in SQL, so with one the page is cut after matching.
  if (!matches) return pageOf(await q.limit(limit).execute(), limit);
  const rows = (await q.execute()) as InstanceRow[];
  return pageOf(rows.filter(matches).slice(0, limit).map((r) => ({ id: r.id, uuid: r.uuid, display_name: r.display_name, version: r.version })), limit);
}

function pageOf(rows: InstancePageRow[], limit: number): InstancePage {
  return { rows, more: rows.length === limit };
}

/** Everything the detail view of these servers reads: rows, metadata, the latest fault of each ERROR one, tags, and (when asked, 2.96) pinned zones. */
export async function loadViewRows(db: ComputeDb, uuids: readonly string[], opts: { pinnedZones?: boolean; includeDeleted?: boolean } = {}): Promise<ViewRows> {
  const rows = new Map<string, InstanceViewRow>();
  for (let i = 0; i < uuids.length; i += 5000) {
    let q = db.selectFrom('instances').select(VIEW_COLUMNS).where('uuid', 'in', uuids.slice(i, i + 5000));
    if (!opts.includeDeleted) q = q.where('deleted', '=', 0);
    for (const r of await q.execute()) {
      rows.set(r.uuid, r);
    }
  }
  const metadata = await getMetadata(db, [...rows.keys()]);
  const errored = [...rows.values()].filter((r) => r.vm_state === 'error').map((r) => r.uuid);
  return { rows, metadata, faults: await latestFaults(db, errored), tags: await getTags(db, [...rows.keys()]), pinnedZones: opts.pinnedZones ? await pinnedZones(db, [...rows.keys()]) : new Map() };
}

export async function latestFaults(db: ComputeDb, uuids: string[]): Promise<Faults> {
  const out: Faults = new Map();
  if (uuids.length === 0) return out;
  const rows = await db.selectFrom('instance_faults').selectAll().where('instance_uuid', 'in', uuids).orderBy('id', 'desc').execute();
  for (const f of rows) {
    if (!out.has(f.instance_uuid)) out.set(f.instance_uuid, { code: f.code, message: f.message, details: f.details, created_at: f.created_at });
  }
  return out;
}

/**
 * The availability zone each server is pinned to: the one its create asked
 * for (or the default schedule zone), kept in its request spec. A server
 * without one may move between zones.
 */
export async function pinnedZones(db: ComputeDb, uuids: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < uuids.length; i += 5000) {
    const rows = await db.selectFrom('request_specs').select(['instance_uuid', 'spec']).where('instance_uuid', 'in', uuids.slice(i, i + 5000)).execute();
    for (const r of rows) {
      let az: unknown;
      try {
        az = (JSON.parse(r.spec) as { az?: unknown }).az;
      } catch {
        continue;
      }
      if (typeof az === 'string' && az !== '') out.set(r.instance_uuid, az);
    }
  }
  return out;
}
