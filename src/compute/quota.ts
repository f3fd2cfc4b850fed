/**
 * Counting quotas, as Nova does since Pike: usage is counted from the live
 * rows, so freeing a server frees its quota with nothing to reconcile.
 *
 * Limits come in layers, each overriding the one before: [quota] in the
 * configuration, the `default` quota class, the project's own limits, and a
 * user's limits within the project (os-quota-class-sets / os-quota-sets).
 */
import { sql } from 'kysely';
import type { Config } from '../conf/options.js';
import { QuotaExceeded } from '../errors.js';
import type { ComputeDb } from './db/tables.js';
import { isPostgres } from '../db/schema-helpers.js';

/** Every resource of Nova's quota sets, in Nova's order. */
export const QUOTA_RESOURCES = [
  'instances', 'cores', 'ram', 'floating_ips', 'fixed_ips', 'metadata_items', 'key_pairs', 'security_groups',
  'security_group_rules', 'injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes',
  'server_groups', 'server_group_members',
] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];
export type QuotaSet = Record<QuotaResource, number>;

/** Gone from quota sets at 2.36 (nova-network's) and, with the personality ones, at 2.57. */
export const NETWORK_QUOTAS: readonly QuotaResource[] = ['fixed_ips', 'floating_ips', 'security_group_rules', 'security_groups'];
export const PERSONALITY_QUOTAS: readonly QuotaResource[] = ['injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes'];

/** Resources counted from live rows; the others limit one request (metadata items, file sizes). */
const COUNTED: readonly QuotaResource[] = ['instances', 'cores', 'ram', 'key_pairs', 'server_groups'];

export const DEFAULT_QUOTA_CLASS = 'default';

export function isQuotaResource(name: string): name is QuotaResource {
  return (QUOTA_RESOURCES as readonly string[]).includes(name);
}

/** The limits [quota] sets. Network quotas belong to the network service, so Nova's deprecated ones are unlimited here. */
export function configQuotas(quota: Config['quota']): QuotaSet {
  return {
    instances: quota.instances, cores: quota.cores, ram: quota.ram, floating_ips: -1, fixed_ips: -1,
    metadata_items: quota.metadata_items, key_pairs: quota.key_pairs, security_groups: -1, security_group_rules: -1,
    injected_files: quota.injected_files, injected_file_content_bytes: quota.injected_file_content_bytes,
    injected_file_path_bytes: quota.injected_file_path_bytes, server_groups: quota.server_groups,
    server_group_members: quota.server_group_members,
  };
}

function overlay(base: QuotaSet, rows: Array<{ resource: string; hard_limit: number }>): QuotaSet {
  const out = { ...base };
  for (const r of rows) if (isQuotaResource(r.resource)) out[r.resource] = r.hard_limit;
  return out;
}

/** A quota class's limits: the configuration overlaid with the `default` class, then with this class. */
export async function quotaClassLimits(db: ComputeDb, quota: Config['quota'], className = DEFAULT_QUOTA_CLASS): Promise<QuotaSet> {
  const rows = await db.selectFrom('quota_classes').select(['class_name', 'resource', 'hard_limit'])
    .where('class_name', 'in', [...new Set([DEFAULT_QUOTA_CLASS, className])]).execute();
  const base = overlay(configQuotas(quota), rows.filter((r) => r.class_name === DEFAULT_QUOTA_CLASS));
  return overlay(base, rows.filter((r) => r.class_name === className));
}

export async function projectLimits(db: ComputeDb, quota: Config['quota'], projectId: string): Promise<QuotaSet> {
  return (await effectiveLimits(db, quota, projectId, null)).project;
}

type LimitLayer = 'class' | 'project' | 'user';

/**
 * The limit rows that apply to a project (and a user in it): the `default`
 * class's, the project's and the user's, each tagged with its layer, as the
 * branches of one UNION ALL. Its columns are (layer, resource, a, b, c, d, e,
 * f) so that a usage row can lead it (quotaStateForCreate); limits are in `a`.
 */
function limitRowsSql(projectId: string, userId: string | null) {
  const pad = sql`, null, null, null, null, null`;
  return sql`select 'class' as layer, resource, hard_limit as a, null as b, null as c, null as d, null as e, null as f from quota_classes where class_name = ${DEFAULT_QUOTA_CLASS}
    union all select 'project', resource, hard_limit${pad} from quotas where project_id = ${projectId}
    union all select 'user', resource, hard_limit${pad} from project_user_quotas where project_id = ${projectId} and user_id = ${userId ?? ''}`;
}

interface LayerRow { layer: LimitLayer | 'usage'; resource: string | null; a: number | string; b: number | string | null; c: number | string | null; d: number | string | null; e: number | string | null; f: number | string | null }

function limitsOf(quota: Config['quota'], rows: LayerRow[]): EffectiveLimits {
  const layer = (name: LimitLayer) => rows.filter((r) => r.layer === name).map((r) => ({ resource: r.resource!, hard_limit: Number(r.a) }));
  const project = overlay(overlay(configQuotas(quota), layer('class')), layer('project'));
  const userRows = layer('user');
  return { project, user: overlay(project, userRows), userOverrides: userRows.length > 0 };
}

export interface EffectiveLimits {
  project: QuotaSet;
  user: QuotaSet;
  /** Whether the user has limits of its own (only then is its usage counted apart). */
  userOverrides: boolean;
}

/** The limits of a project and, with a user id, of that user in it: one statement. */
export async function effectiveLimits(db: ComputeDb, quota: Config['quota'], projectId: string, userId: string | null): Promise<EffectiveLimits> {
  const { rows } = await limitRowsSql(projectId, userId).execute(db);
  return limitsOf(quota, rows as LayerRow[]);
}

/** Writes limits for a project (userId null) or for a user in it; each given resource is set, the others kept. */
export async function setLimits(db: ComputeDb, projectId: string, userId: string | null, values: Partial<QuotaSet>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const [resource, hard_limit] of Object.entries(values)) {
      if (userId === null) {
        await trx.deleteFrom('quotas').where('project_id', '=', projectId).where('resource', '=', resource).execute();
        await trx.insertInto('quotas').values({ project_id: projectId, resource, hard_limit }).execute();
      } else {
        await trx.deleteFrom('project_user_quotas').where('project_id', '=', projectId).where('user_id', '=', userId).where('resource', '=', resource).execute();
        await trx.insertInto('project_user_quotas').values({ project_id: projectId, user_id: userId, resource, hard_limit }).execute();
      }
    }
  });
}

/** Reverts a project (with its users' limits, as Nova) or one user to the defaults. */
export async function deleteLimits(db: ComputeDb, projectId: string, userId: string | null): Promise<void> {
  await db.transaction().execute(async (trx) => {
    let users = trx.deleteFrom('project_user_quotas').where('project_id', '=', projectId);
    if (userId !== null) users = users.where('user_id', '=', userId);
    await users.execute();
    if (userId === null) await trx.deleteFrom('quotas').where('project_id', '=', projectId).execute();
  });
}

export async function setClassLimits(db: ComputeDb, className: string, values: Partial<QuotaSet>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const [resource, hard_limit] of Object.entries(values)) {
      await trx.deleteFrom('quota_classes').where('class_name', '=', className).where('resource', '=', resource).execute();
      await trx.insertInto('quota_classes').values({ class_name: className, resource, hard_limit }).execute();
    }
  });
}

export interface ProjectUsage {
  instances: number;
  cores: number;
  ram: number;
}

export async function countProjectUsage(db: ComputeDb, projectId: string, userId?: string): Promise<ProjectUsage> {
  let q = db
    .selectFrom('instances')
    .select([
      sql<number>`count(*)`.as('instances'),
      sql<number>`coalesce(sum(vcpus), 0)`.as('cores'),
      sql<number>`coalesce(sum(memory_mb), 0)`.as('ram'),
    ])
    .where('project_id', '=', projectId)
    .where('deleted', '=', 0);
  if (userId !== undefined) q = q.where('user_id', '=', userId);
  const row = await q.executeTakeFirstOrThrow();
  return { instances: Number(row.instances), cores: Number(row.cores), ram: Number(row.ram) };
}

export async function countServerGroups(db: ComputeDb, projectId: string, userId?: string): Promise<number> {
  let q = db.selectFrom('instance_groups').select(sql<number>`count(*)`.as('n')).where('project_id', '=', projectId);
  if (userId !== undefined) q = q.where('user_id', '=', userId);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

/** What a quota set's detail shows as in use: counted resources from their rows, the rest 0 (as Nova). */
export async function usageForDetail(db: ComputeDb, projectId: string, userId?: string): Promise<Partial<QuotaSet>> {
  const servers = await countProjectUsage(db, projectId, userId);
  const groups = await countServerGroups(db, projectId, userId);
  let keyPairs = 0;
  if (userId !== undefined) {
    keyPairs = Number((await db.selectFrom('key_pairs').select(sql<number>`count(*)`.as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow()).n);
  }
  return { ...servers, server_groups: groups, key_pairs: keyPairs };
}

export function isCounted(resource: QuotaResource): boolean {
  return COUNTED.includes(resource);
}

export type QuotaLimits = Pick<QuotaSet, 'instances' | 'cores' | 'ram'>;

/**
 * Checks that `count` more servers of the given size fit in the project's
 * quota, and returns how many do fit (Nova shrinks max_count to that when it
 * is at least min_count).
 */
export function allowedInstances(
  limits: QuotaLimits,
  usage: ProjectUsage,
  perInstance: { cores: number; ram: number },
  minCount: number,
  maxCount: number,
): number {
  const room = (limit: number, used: number, each: number) =>
    limit < 0 || each === 0 ? Number.POSITIVE_INFINITY : Math.floor((limit - used) / each);
  const fits = Math.min(
    room(limits.instances, usage.instances, 1),
    room(limits.cores, usage.cores, perInstance.cores),
    room(limits.ram, usage.ram, perInstance.ram),
  );
  if (fits >= maxCount) return maxCount;
  if (fits >= minCount) return fits;
  // Name the first resource that is over, with Nova's wording.
  const over: Array<[keyof ProjectUsage, number, number, number]> = [
    ['instances', limits.instances, usage.instances, minCount],
    ['cores', limits.cores, usage.cores, minCount * perInstance.cores],
    ['ram', limits.ram, usage.ram, minCount * perInstance.ram],
  ];
  for (const [name, limit, used, requested] of over) {
    if (limit >= 0 && used + requested > limit) throw overQuota(name, requested, used, limit);
  }
  throw new QuotaExceeded('Quota exceeded');
}

/**
 * Personality files against the injected_files quotas (Nova's
 * _check_injected_file_quota): their number, then the longest path and the
 * longest contents (as base64, as Nova measures them). Over is a 403.
 */
export async function checkInjectedFileQuota(
  db: ComputeDb, quota: Config['quota'], projectId: string, userId: string, files: ReadonlyArray<{ path: string; contents: string }> | undefined,
): Promise<void> {
  if (!files || files.length === 0) return;
  const { user: limits } = await effectiveLimits(db, quota, projectId, userId);
  const over = (limit: number, value: number) => limit >= 0 && value > limit;
  if (over(limits.injected_files, files.length)) throw new QuotaExceeded('Personality file limit exceeded');
  const longestPath = Math.max(...files.map((f) => Buffer.byteLength(f.path)));
  if (over(limits.injected_file_path_bytes, longestPath)) throw new QuotaExceeded(`Personality file path exceeds maximum ${limits.injected_file_path_bytes}`);
  const longestContents = Math.max(...files.map((f) => f.contents.length));
  if (over(limits.injected_file_content_bytes, longestContents)) throw new QuotaExceeded(`Personality file content exceeds maximum ${limits.injected_file_content_bytes}`);
}

/** Nova's TooManyInstances wording, which the create and resize paths share. */
function overQuota(name: string, requested: number, used: number, limit: number): QuotaExceeded {
  return new QuotaExceeded(`Quota exceeded for ${name}: Requested ${requested}, but already used ${used} of ${limit} ${name}`);
}

/**
 * A resize to a bigger flavor needs room for the difference in cores and RAM,
 * in the project's limits and, when the user has its own, the user's (Nova's
 * _check_quota_for_upsize); a resize down or across needs none.
 */
export async function checkResizeQuota(
  db: ComputeDb, quota: Config['quota'], projectId: string, userId: string, delta: { cores: number; ram: number },
): Promise<void> {
  if (delta.cores <= 0 && delta.ram <= 0) return;
  const limits = await effectiveLimits(db, quota, projectId, userId);
  const check = (l: QuotaLimits, usage: ProjectUsage) => {
    for (const name of ['cores', 'ram'] as const) {
      if (delta[name] > 0 && l[name] >= 0 && usage[name] + delta[name] > l[name]) throw overQuota(name, delta[name], usage[name], l[name]);
    }
  };
  check(limits.project, await countProjectUsage(db, projectId));
  if (limits.userOverrides) check(limits.user, await countProjectUsage(db, projectId, userId));
}

/** The first key of the advisory locks that serialize a project's server creates (any constant of our own). */
const INSTANCE_QUOTA_LOCK = 0x4b4e5131;

/**
 * Holds the project's instance quota until the transaction ends, so a create
 * counts usage only after every concurrent create of the same project has
 * committed or rolled back. PostgreSQL at READ COMMITTED lets two
 * transactions count the same usage and both insert (API processes sharing
 * the database overshot a limit of 50 by 7); SQLite serializes writing
 * transactions already. Nova instead rechecks after creating
 * ([quota] recheck_quota) and deletes what went over, which can refuse both
 * racers for the last slot; a lock per project gives that slot to exactly one.
 */
export async function lockProjectQuota(trx: ComputeDb, projectId: string): Promise<void> {
  if (!isPostgres(trx)) return;
  await sql`select pg_advisory_xact_lock(${INSTANCE_QUOTA_LOCK}, hashtext(${projectId}))`.execute(trx);
}

/**
 * The project's and the user's usage of servers, cores and RAM (one pass over
 * the project's servers) and the limits over them, in one statement: a
 * create asks it under the project's lock, where each round trip holds every
 * other create of the project waiting.
 */
async function quotaStateForCreate(db: ComputeDb, quota: Config['quota'], projectId: string, userId: string) {
  const mine = (col: string) => sql`coalesce(sum(case when user_id = ${userId} then ${sql.raw(col)} else 0 end), 0)`;
  const { rows } = await sql<LayerRow>`select 'usage' as layer, null as resource, count(*) as a, coalesce(sum(vcpus), 0) as b, coalesce(sum(memory_mb), 0) as c,
      ${mine('1')} as d, ${mine('vcpus')} as e, ${mine('memory_mb')} as f
    from instances where project_id = ${projectId} and deleted = 0
    union all ${limitRowsSql(projectId, userId)}`.execute(db);
  const u = rows.find((r) => r.layer === 'usage')!;
  return {
    limits: limitsOf(quota, rows),
    project: { instances: Number(u.a), cores: Number(u.b), ram: Number(u.c) },
    user: { instances: Number(u.d), cores: Number(u.e), ram: Number(u.f) },
  };
}

/** allowedInstances against the project's limits and, when the user has its own, the user's too. */
export async function allowedInstancesFor(
  db: ComputeDb, quota: Config['quota'], projectId: string, userId: string,
  perInstance: { cores: number; ram: number }, minCount: number, maxCount: number,
): Promise<{ count: number; limits: EffectiveLimits }> {
  const { limits, project, user } = await quotaStateForCreate(db, quota, projectId, userId);
  let count = allowedInstances(limits.project, project, perInstance, minCount, maxCount);
  if (limits.userOverrides) count = allowedInstances(limits.user, user, perInstance, minCount, count);
  return { count, limits };
}
