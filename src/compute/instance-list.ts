/**
 * GET /servers and /servers/detail: one query for the page of rows (filters,
 * sort, marker), one for their metadata, one for faults of ERROR servers.
 */
import { sql } from 'kysely';
import { BadRequest } from '../errors.js';
import type { ComputeDb } from './db/tables.js';
import { getMetadata, type InstanceRow } from './instance-store.js';
import { getTags } from './tags.js';
import { vmStatesForStatus } from './vm-states.js';

export interface ListOptions {
  allTenants?: boolean;
  projectId?: string;
  name?: string;
  status?: string;
  image?: string;
  flavor?: string;
  host?: string;
  reservationId?: string;
  changesSince?: string;
  ip?: string;
  locked?: boolean;
  userId?: string;
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
  'progress', 'reservation_id', 'launch_index', 'root_device_name', 'user_data', 'locked', 'locked_reason', 'version', 'auto_disk_config',
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
}

export type InstanceViewRow = Pick<InstanceRow, (typeof VIEW_COLUMNS)[number]>;

/** The latest fault of each server, by uuid. */
export type Faults = Map<string, { code: number; message: string; details: string; created_at: string }>;

const SORT_COLUMNS: Record<string, keyof InstanceRow> = {
  created_at: 'created_at', updated_at: 'updated_at', display_name: 'display_name', uuid: 'uuid', vm_state: 'vm_state',
  task_state: 'task_state', power_state: 'power_state', host: 'host', node: 'node', launched_at: 'launched_at',
  hostname: 'hostname', key_name: 'key_name', project_id: 'project_id', user_id: 'user_id', image_ref: 'image_ref',
  availability_zone: 'availability_zone', locked: 'locked', terminated_at: 'terminated_at', launch_index: 'launch_index',
};

export type ListQuery = ListOptions & { adminFilters: boolean; maxLimit: number };

/** The page of servers a list request names, in order; one query. */
export async function listInstancePage(db: ComputeDb, opts: ListQuery): Promise<InstancePage> {
  const limit = Math.min(opts.limit ?? opts.maxLimit, opts.maxLimit);
  const sortKeys = (opts.sortKeys?.length ? opts.sortKeys : ['created_at']).map((k) => {
    const col = Object.hasOwn(SORT_COLUMNS, k) ? SORT_COLUMNS[k] : undefined;
    if (!col) throw new BadRequest(`Invalid sort_key: ${k}`);
    return col;
  });
  const sortDirs = sortKeys.map((_, i) => opts.sortDirs?.[i] ?? opts.sortDirs?.[0] ?? 'desc');

  let q = db.selectFrom('instances').select(PAGE_COLUMNS).where('deleted', '=', 0);
  if (opts.projectId) q = q.where('project_id', '=', opts.projectId);
  if (opts.status) {
    const states = vmStatesForStatus(opts.status);
    if (states.length === 0) return { rows: [], more: false };
    q = q.where('vm_state', 'in', states);
  }
  if (opts.image) q = q.where('image_ref', '=', opts.image.slice(opts.image.lastIndexOf('/') + 1));
  if (opts.flavor) {
    const f = opts.flavor.slice(opts.flavor.lastIndexOf('/') + 1);
    q = q.where(sql<string>`flavor`, 'like', `%"flavorid":${JSON.stringify(f)}%`);
  }
  if (opts.reservationId) q = q.where('reservation_id', '=', opts.reservationId);
  if (opts.changesSince) q = q.where('updated_at', '>=', opts.changesSince);
  if (opts.locked !== undefined) q = q.where('locked', '=', opts.locked ? 1 : 0);
  if (opts.adminFilters) {
    if (opts.host) q = q.where('host', '=', opts.host);
    if (opts.userId) q = q.where('user_id', '=', opts.userId);
  }
  const withTag = (tag: string) => db.selectFrom('tags').select('tags.resource_id').where('tags.resource_id', '=', sql.ref<string>('instances.uuid')).where('tags.tag', '=', tag);
  if (opts.tags?.length) q = q.where((eb) => eb.and(opts.tags!.map((t) => eb.exists(withTag(t)))));
  if (opts.tagsAny?.length) q = q.where((eb) => eb.or(opts.tagsAny!.map((t) => eb.exists(withTag(t)))));
  if (opts.notTags?.length) q = q.where((eb) => eb.not(eb.and(opts.notTags!.map((t) => eb.exists(withTag(t))))));
  if (opts.notTagsAny?.length) q = q.where((eb) => eb.and(opts.notTagsAny!.map((t) => eb.not(eb.exists(withTag(t))))));
  if (opts.ip) q = q.where('network_info', 'like', `%"address":"${opts.ip.replace(/["%_\\]/g, '')}%`);

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
  // A name is a regular expression (as Nova's), matched here rather than in SQL,
  // so with one the page is cut after matching.
  if (!opts.name) q = q.limit(limit);

  let rows = await q.execute();
  if (opts.name) {
    let re: RegExp;
    try {
      re = new RegExp(opts.name);
    } catch {
      throw new BadRequest(`Invalid regular expression in name filter: ${opts.name}`);
    }
    rows = rows.filter((r) => re.test(r.display_name)).slice(0, limit);
  }
  return { rows, more: rows.length === limit };
}

/** Everything the detail view of these servers reads: rows, metadata, the latest fault of each ERROR one. */
export async function loadViewRows(db: ComputeDb, uuids: readonly string[]): Promise<ViewRows> {
  const rows = new Map<string, InstanceViewRow>();
  for (let i = 0; i < uuids.length; i += 5000) {
    for (const r of await db.selectFrom('instances').select(VIEW_COLUMNS).where('uuid', 'in', uuids.slice(i, i + 5000)).where('deleted', '=', 0).execute()) {
      rows.set(r.uuid, r);
    }
  }
  const metadata = await getMetadata(db, [...rows.keys()]);
  const errored = [...rows.values()].filter((r) => r.vm_state === 'error').map((r) => r.uuid);
  return { rows, metadata, faults: await latestFaults(db, errored), tags: await getTags(db, [...rows.keys()]) };
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
