/**
 * Server groups (Nova's InstanceGroup): a policy for where members may run
 * relative to each other, the members (servers given the `group` scheduler
 * hint at create), and the server_groups / server_group_members quotas.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Config } from '../conf/options.js';
import { NotFound, QuotaExceeded } from '../errors.js';
import { nowIso } from '../db/schema-helpers.js';
import type { ComputeDb } from './db/tables.js';
import { countServerGroups, effectiveLimits } from './quota.js';

export const GROUP_POLICIES = ['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity'] as const;
export type GroupPolicy = (typeof GROUP_POLICIES)[number];

export interface ServerGroup {
  id: number;
  uuid: string;
  name: string;
  project_id: string;
  user_id: string;
  policy: string;
  rules: { max_server_per_host?: number };
  members: string[];
}

export class InstanceGroupNotFound extends NotFound {
  constructor(uuid: string) {
    super(`Instance group ${uuid} could not be found.`);
  }
}

function parseRules(json: string): ServerGroup['rules'] {
  try {
    const r = JSON.parse(json) as { max_server_per_host?: unknown };
    return typeof r?.max_server_per_host === 'number' ? { max_server_per_host: r.max_server_per_host } : {};
  } catch {
    return {};
  }
}

/** Members are live servers: a deleted server leaves its groups (see markInstanceDeleted). */
async function membersOf(db: ComputeDb, groupIds: number[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>(groupIds.map((id) => [id, []]));
  if (groupIds.length === 0) return out;
  const rows = await db.selectFrom('instance_group_member').select(['group_id', 'instance_uuid'])
    .where('group_id', 'in', groupIds).orderBy('instance_uuid').execute();
  for (const r of rows) out.get(r.group_id)?.push(r.instance_uuid);
  return out;
}

type GroupRow = { id: number; uuid: string; name: string; project_id: string; user_id: string; policy: string; rules: string };

async function withMembers(db: ComputeDb, rows: GroupRow[]): Promise<ServerGroup[]> {
  const members = await membersOf(db, rows.map((r) => r.id));
  return rows.map((r) => ({ ...r, rules: parseRules(r.rules), members: members.get(r.id) ?? [] }));
}

export async function getServerGroup(db: ComputeDb, uuid: string): Promise<ServerGroup> {
  const row = await db.selectFrom('instance_groups').select(['id', 'uuid', 'name', 'project_id', 'user_id', 'policy', 'rules'])
    .where('uuid', '=', uuid).executeTakeFirst();
  if (!row) throw new InstanceGroupNotFound(uuid);
  return (await withMembers(db, [row]))[0];
}

export async function listServerGroups(db: ComputeDb, opts: { projectId?: string; limit?: number; offset?: number }): Promise<ServerGroup[]> {
  let q = db.selectFrom('instance_groups').select(['id', 'uuid', 'name', 'project_id', 'user_id', 'policy', 'rules']).orderBy('id');
  if (opts.projectId !== undefined) q = q.where('project_id', '=', opts.projectId);
  if (opts.limit !== undefined) q = q.limit(opts.limit);
  if (opts.offset) q = q.offset(opts.offset);
  return withMembers(db, await q.execute());
}

export async function createServerGroup(
  db: ComputeDb, quota: Config['quota'], owner: { projectId: string; userId: string },
  req: { name: string; policy: GroupPolicy; rules: ServerGroup['rules'] },
): Promise<ServerGroup> {
  const uuid = randomUUID();
  await db.transaction().execute(async (trx) => {
    // Counted inside the transaction so two creates cannot both take the last one.
    const limits = await effectiveLimits(trx, quota, owner.projectId, owner.userId);
    const over = (limit: number, used: number) => limit >= 0 && used + 1 > limit;
    if (over(limits.project.server_groups, await countServerGroups(trx, owner.projectId))
      || (limits.userOverrides && over(limits.user.server_groups, await countServerGroups(trx, owner.projectId, owner.userId)))) {
      throw new QuotaExceeded('Quota exceeded, too many server groups.');
    }
    await trx.insertInto('instance_groups').values({
      uuid, name: req.name, project_id: owner.projectId, user_id: owner.userId, policy: req.policy,
      rules: JSON.stringify(req.rules), created_at: nowIso(),
    }).execute();
  });
  return getServerGroup(db, uuid);
}

export async function deleteServerGroup(db: ComputeDb, group: ServerGroup): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('instance_group_member').where('group_id', '=', group.id).execute();
    await trx.deleteFrom('instance_groups').where('id', '=', group.id).execute();
  });
}

/** Makes new servers members, within the create's transaction, checking server_group_members first (Nova's wording). */
export async function addGroupMembers(db: ComputeDb, group: ServerGroup, memberLimit: number, uuids: string[]): Promise<void> {
  const current = Number((await db.selectFrom('instance_group_member').select(sql<number>`count(*)`.as('n'))
    .where('group_id', '=', group.id).executeTakeFirstOrThrow()).n);
  if (memberLimit >= 0 && current + uuids.length > memberLimit) throw new QuotaExceeded('Quota exceeded, too many servers in group');
  if (uuids.length > 0) await db.insertInto('instance_group_member').values(uuids.map((u) => ({ group_id: group.id, instance_uuid: u }))).execute();
}

/** The groups a server is a member of (at most one, as Nova allows). */
export async function serverGroupsOf(db: ComputeDb, instanceUuid: string): Promise<string[]> {
  const rows = await db.selectFrom('instance_group_member').innerJoin('instance_groups', 'instance_groups.id', 'instance_group_member.group_id')
    .select('instance_groups.uuid').where('instance_group_member.instance_uuid', '=', instanceUuid).execute();
  return rows.map((r) => r.uuid);
}

/** The group of a server being scheduled, as the scheduler's filters and weighers see it. */
export interface GroupPlacement {
  uuid: string;
  policy: string;
  rules: ServerGroup['rules'];
  /** How many of the group's other members run on each host. */
  hosts: Map<string, number>;
}

export async function groupPlacement(db: ComputeDb, groupUuid: string, excluding: readonly string[]): Promise<GroupPlacement | null> {
  const group = await db.selectFrom('instance_groups').select(['id', 'uuid', 'policy', 'rules']).where('uuid', '=', groupUuid).executeTakeFirst();
  if (!group) return null;
  let q = db.selectFrom('instance_group_member')
    .innerJoin('instances', (j) => j.onRef('instances.uuid', '=', 'instance_group_member.instance_uuid').on('instances.deleted', '=', 0))
    .select(['instances.uuid', 'instances.host'])
    .where('instance_group_member.group_id', '=', group.id);
  if (excluding.length > 0) q = q.where('instances.uuid', 'not in', [...excluding]);
  const hosts = new Map<string, number>();
  for (const m of await q.execute()) if (m.host) hosts.set(m.host, (hosts.get(m.host) ?? 0) + 1);
  return { uuid: group.uuid, policy: group.policy, rules: parseRules(group.rules), hosts };
}
