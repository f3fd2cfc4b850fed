/**
 * The query of GET /servers and /servers/detail, per microversion (Nova's
 * index_query, _v226, _v266, _v273, _v275): which parameters exist, which
 * sort keys, which filters a caller without `allow_all_filters` keeps (the
 * others are dropped silently, as Nova does), and what each becomes.
 */
import { BadRequest, Forbidden } from '../../../errors.js';
import type { APIVersion } from '../../../http/microversion.js';
import { showValue } from '../../../http/validation.js';
import type { ExactColumn, ListOptions, RegexColumn } from '../../instance-list.js';
import { statesForStatuses } from '../../vm-states.js';

type Query = Record<string, string | string[] | undefined>;

/** Filters on a column's value; `regex` ones are regular expressions searched in its text. */
const EXACT: Record<string, ExactColumn> = { user_id: 'user_id', vm_state: 'vm_state', task_state: 'task_state', uuid: 'uuid', host: 'host' };
const REGEX: Record<string, RegexColumn> = {
  name: 'display_name', display_name: 'display_name', description: 'display_description', display_description: 'display_description',
  hostname: 'hostname', key_name: 'key_name', node: 'node', reservation_id: 'reservation_id', availability_zone: 'availability_zone',
  config_drive: 'config_drive', root_device_name: 'root_device_name', access_ip_v4: 'access_ip_v4', access_ip_v6: 'access_ip_v6',
  power_state: 'power_state', progress: 'progress', launch_index: 'launch_index', locked_by: 'locked_by', created_at: 'created_at',
  launched_at: 'launched_at', terminated_at: 'terminated_at',
};
/** Nova's columns that hold one value for every server here (no kernel or ramdisk images, no automatic disk config). */
const CONSTANT: Record<string, string> = { kernel_id: '', ramdisk_id: '', auto_disk_config: '0' };
/** Parameters Nova names so that it can refuse them: filters across joined tables. */
const JOINED = ['block_device_mapping', 'services', 'metadata', 'system_metadata', 'info_cache', 'security_groups', 'pci_devices'];
const REGEX_PARAMS = new Set([...Object.keys(REGEX), ...Object.keys(CONSTANT), 'flavor', 'ip', 'ip6', 'tags', 'tags-any', 'not-tags', 'not-tags-any']);
const PAGING = ['limit', 'marker', 'sort_key', 'sort_dir'];

const BASE_PARAMS = [
  ...Object.keys(EXACT), ...Object.keys(REGEX), ...Object.keys(CONSTANT), ...JOINED, ...PAGING,
  'project_id', 'tenant_id', 'image', 'image_ref', 'flavor', 'status', 'all_tenants', 'soft_deleted', 'deleted',
  'changes-since', 'ip', 'ip6',
];
const TAG_PARAMS = ['tags', 'tags-any', 'not-tags', 'not-tags-any'];

/** Sort keys Nova once took and now ignores rather than refuse (until 2.75, which refuses them). */
const IGNORED_SORT_KEYS = [
  'architecture', 'cell_name', 'cleaned', 'default_ephemeral_device', 'default_swap_device', 'deleted', 'deleted_at',
  'disable_terminate', 'ephemeral_gb', 'ephemeral_key_uuid', 'id', 'key_data', 'launched_on', 'locked', 'memory_mb',
  'os_type', 'reservation_id', 'root_gb', 'shutdown_terminate', 'user_data', 'vcpus', 'vm_mode',
];
const SORT_KEYS = [
  'access_ip_v4', 'access_ip_v6', 'auto_disk_config', 'availability_zone', 'config_drive', 'created_at', 'display_description',
  'display_name', 'host', 'hostname', 'image_ref', 'instance_type_id', 'kernel_id', 'key_name', 'launch_index', 'launched_at',
  'locked_by', 'node', 'power_state', 'progress', 'project_id', 'ramdisk_id', 'root_device_name', 'task_state', 'terminated_at',
  'updated_at', 'user_id', 'uuid', 'vm_state',
];
/** Sort keys whose column is the same for every server here: sorting by them changes nothing. */
const CONSTANT_SORT_KEYS = new Set(['auto_disk_config', 'instance_type_id', 'kernel_id', 'ramdisk_id']);
/** Where hosts are shown only to admins, sorting by them is refused to others (Nova's 403). */
const ADMIN_SORT_KEYS = new Set(['host', 'node']);

const TRUE_WORDS = ['1', 't', 'true', 'on', 'y', 'yes'];
const FALSE_WORDS = ['0', 'f', 'false', 'off', 'n', 'no'];
const ISO8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** Every parameter the list knows at this microversion. */
export function knownListParams(v: APIVersion): Set<string> {
  const known = new Set(BASE_PARAMS);
  if (v.atLeast('2.26')) for (const p of TAG_PARAMS) known.add(p);
  if (v.atLeast('2.66')) known.add('changes-before');
  if (v.atLeast('2.73')) known.add('locked');
  return known;
}

/** Filters a caller without allow_all_filters keeps at this microversion (2.83 adds many, 2.90 hostname). */
export function nonAdminListFilters(v: APIVersion): Set<string> {
  const allowed = new Set(['reservation_id', 'name', 'status', 'image', 'flavor', 'ip', 'changes-since', 'all_tenants']);
  if (v.atLeast('2.5')) allowed.add('ip6');
  if (v.atLeast('2.26')) for (const p of TAG_PARAMS) allowed.add(p);
  if (v.atLeast('2.66')) allowed.add('changes-before');
  if (v.atLeast('2.73')) allowed.add('locked');
  if (v.atLeast('2.83')) {
    for (const p of ['availability_zone', 'config_drive', 'key_name', 'created_at', 'launched_at', 'terminated_at', 'power_state',
      'task_state', 'vm_state', 'progress', 'user_id']) allowed.add(p);
  }
  if (v.atLeast('2.90')) allowed.add('hostname');
  return allowed;
}

function sortKeysFor(v: APIVersion): { valid: Set<string>; ignored: Set<string> } {
  const ignored = new Set(IGNORED_SORT_KEYS);
  const valid = new Set(SORT_KEYS);
  if (v.atLeast('2.73')) {
    ignored.delete('locked');
    valid.add('locked');
  }
  if (v.atLeast('2.75')) return { valid, ignored: new Set() };
  for (const k of ignored) valid.add(k);
  return { valid, ignored };
}

function invalid(name: string, value: unknown, why: string): BadRequest {
  return new BadRequest(`Invalid input for query parameters ${name}. Value: ${showValue(value)}. ${why}`);
}

function all(q: Query, name: string): string[] {
  const v = q[name];
  return v === undefined ? [] : ([] as string[]).concat(v);
}

/** Nova reads the last of a repeated parameter. */
function last(q: Query, name: string): string | undefined {
  return all(q, name).at(-1);
}

function boolWord(name: string, value: string): boolean {
  const w = value.toLowerCase();
  if (TRUE_WORDS.includes(w)) return true;
  if (FALSE_WORDS.includes(w)) return false;
  throw new BadRequest(`Invalid value '${value}' for ${name}`);
}

function dateTime(q: Query, name: string): string | undefined {
  const value = last(q, name);
  if (value === undefined) return undefined;
  // ISO 8601 as Nova's parser reads it: Date.parse alone takes forms such as 2011/01/01.
  const t = ISO8601.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(t)) throw new BadRequest(`Invalid filter field: ${name}. Value: ${value}`);
  return new Date(t).toISOString();
}

export interface ListCaller {
  /** May use every filter (os_compute_api:servers:allow_all_filters). */
  allFilters: boolean;
  /** Is an administrator (context_is_admin): may sort by host and node, and list deleted servers. */
  admin: boolean;
}

/** The list options a query names for this caller at this microversion; 400 for what Nova refuses. */
export function parseServerListQuery(query: Query, v: APIVersion, caller: ListCaller): ListOptions {
  const known = knownListParams(v);
  const q: Query = {};
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (!known.has(name) && !name.startsWith('_')) {
      if (v.atLeast('2.75')) throw invalid(name, value, `Additional properties are not allowed ('${name}' was unexpected)`);
      continue; // older microversions drop what they do not know
    }
    for (const one of ([] as string[]).concat(value)) {
      if (REGEX_PARAMS.has(name)) {
        try {
          new RegExp(one);
        } catch {
          throw invalid(name, one, `'${one}' is not a 'regex'`);
        }
      }
    }
    q[name] = value;
  }

  const { valid: validSortKeys, ignored: ignoredSortKeys } = sortKeysFor(v);
  for (const key of all(q, 'sort_key')) {
    if (!validSortKeys.has(key)) throw invalid('sort_key', key, `'${key}' is not one of the valid sort keys`);
  }

  if (!caller.allFilters) {
    const allowed = nonAdminListFilters(v);
    for (const name of Object.keys(q)) if (!allowed.has(name) && !PAGING.includes(name)) delete q[name];
  }
  for (const name of Object.keys(q)) {
    if (JOINED.includes(name) || name.startsWith('_')) throw new BadRequest(`Invalid filter field: ${name}.`);
  }

  const opts: ListOptions = {};
  const exact: NonNullable<ListOptions['exact']> = {};
  const regex: NonNullable<ListOptions['regex']> = {};
  for (const [param, column] of Object.entries(EXACT)) {
    const value = last(q, param);
    if (value !== undefined) exact[column] = [value];
  }
  const image = last(q, 'image') ?? last(q, 'image_ref');
  if (image !== undefined) exact.image_ref = [image.slice(image.lastIndexOf('/') + 1)];
  for (const [param, column] of Object.entries(REGEX)) {
    const value = last(q, param);
    if (value !== undefined) regex[column] = value;
  }
  for (const [param, constant] of Object.entries(CONSTANT)) {
    const value = last(q, param);
    if (value !== undefined && !new RegExp(value).test(constant)) opts.matchesNothing = true;
  }

  const statuses = all(q, 'status');
  if (statuses.length > 0) {
    const { vmStates, taskStates } = statesForStatuses(statuses);
    if (vmStates.length === 0) {
      if (v.atLeast('2.38')) throw new BadRequest('Invalid status value');
      opts.matchesNothing = true;
    }
    // A status stands for both states and takes the place of any vm_state or task_state asked for.
    exact.vm_state = vmStates;
    if (taskStates) exact.task_state = taskStates;
    else delete exact.task_state;
    if (vmStates.length === 1 && vmStates[0] === 'deleted') {
      if (!caller.admin) throw new Forbidden('Only administrators may list deleted instances');
      opts.includeDeleted = 'only';
    }
  }
  const softDeleted = last(q, 'soft_deleted');
  if (softDeleted !== undefined) opts.softDeleted = TRUE_WORDS.includes(softDeleted.toLowerCase());
  // deleted is read leniently (anything but a true word is false), as Nova reads it.
  const deleted = last(q, 'deleted');
  if (deleted !== undefined && opts.includeDeleted === undefined) opts.includeDeleted = TRUE_WORDS.includes(deleted.toLowerCase()) ? 'only' : undefined;

  const allTenants = last(q, 'all_tenants');
  if (allTenants !== undefined) opts.allTenants = allTenants === '' || boolWord('all_tenants', allTenants);
  // Another project is named only together with all_tenants (Nova drops tenant_id otherwise).
  if (opts.allTenants) opts.projectId = last(q, 'project_id') ?? last(q, 'tenant_id');

  opts.flavor = last(q, 'flavor');
  opts.ip = last(q, 'ip');
  opts.ip6 = last(q, 'ip6');
  opts.changesSince = dateTime(q, 'changes-since');
  opts.changesBefore = dateTime(q, 'changes-before');
  if (opts.changesSince && opts.changesBefore && opts.changesBefore < opts.changesSince) {
    throw new BadRequest('The value of changes-since must be less than or equal to changes-before.');
  }
  // Asking what changed since (or before) a time shows the servers deleted then too, unless deleted says otherwise.
  if ((opts.changesSince || opts.changesBefore) && deleted === undefined && opts.includeDeleted === undefined) opts.includeDeleted = 'also';
  const locked = last(q, 'locked');
  if (locked !== undefined) opts.locked = boolWord('locked', locked);
  if (v.atLeast('2.26')) {
    const tags = (name: string) => last(q, name)?.split(',').filter((t) => t !== '');
    opts.tags = tags('tags');
    opts.tagsAny = tags('tags-any');
    opts.notTags = tags('not-tags');
    opts.notTagsAny = tags('not-tags-any');
  }

  const limit = last(q, 'limit');
  if (limit !== undefined) {
    if (!/^-?\d+$/.test(limit)) throw new BadRequest('limit param must be an integer');
    const n = Number(limit);
    if (n < 0) throw new BadRequest('limit param must be positive');
    opts.limit = n;
  }
  opts.marker = last(q, 'marker');

  // Sort keys and their directions pair up by position; an ignored key takes its direction with it.
  const keys = all(q, 'sort_key');
  const dirs = all(q, 'sort_dir');
  for (const d of dirs) if (d !== 'asc' && d !== 'desc') throw new BadRequest(`Invalid sort_dir: ${d}`);
  const sortKeys: string[] = [];
  const sortDirs: Array<'asc' | 'desc'> = [];
  keys.forEach((key, i) => {
    if (ADMIN_SORT_KEYS.has(key) && !caller.admin) throw new Forbidden(`Only administrators can sort servers by ${key}`);
    if (ignoredSortKeys.has(key) || CONSTANT_SORT_KEYS.has(key)) return;
    sortKeys.push(key);
    if (i < dirs.length) sortDirs.push(dirs[i] as 'asc' | 'desc');
  });
  if (sortKeys.length === 0 && keys.length === 0 && dirs.length > 0) sortDirs.push(...(dirs as Array<'asc' | 'desc'>));
  opts.sortKeys = sortKeys;
  opts.sortDirs = sortDirs;

  if (Object.keys(exact).length > 0) opts.exact = exact;
  if (Object.keys(regex).length > 0) opts.regex = regex;
  return opts;
}
