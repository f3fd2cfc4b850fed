/**
 * Groups, their members, and the grants that are not a user's role on a
 * project: a user's role on a domain, a group's role on a project or domain.
 */
import type { Selectable } from 'kysely';
import { Conflict, NotFound } from '../errors.js';
import { isUniqueViolation, nowIso } from '../db/schema-helpers.js';
import { newId, parseObject } from './model.js';
import type { GrantRow, GroupRow, IdentityDb } from './tables.js';

export interface Group {
  id: string;
  name: string;
  domainId: string;
  description: string;
  extra: Record<string, unknown>;
}

export interface GroupInput {
  name: string;
  domainId: string;
  description?: string;
  extra?: Record<string, unknown>;
}

export type GrantType = GrantRow['type'];

export interface Grant {
  type: GrantType;
  actorId: string;
  targetId: string;
  roleId: string;
}

const toGroup = (r: Selectable<GroupRow>): Group => ({
  id: r.id, name: r.name, domainId: r.domain_id, description: r.description, extra: parseObject(r.extra),
});

const duplicate = (name: string, domainId: string) =>
  new Conflict(`Conflict occurred attempting to store group - Duplicate entry found with name ${name} at domain ID ${domainId}.`);

export class GroupStore {
  constructor(private readonly db: IdentityDb) {}

  async getGroup(id: string): Promise<Group | undefined> {
    const r = await this.db.selectFrom('identity_groups').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toGroup(r);
  }

  async listGroups(filter: { name?: string; domainId?: string } = {}): Promise<Group[]> {
    let q = this.db.selectFrom('identity_groups').selectAll().orderBy('name').orderBy('id');
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    if (filter.domainId !== undefined) q = q.where('domain_id', '=', filter.domainId);
    return (await q.execute()).map(toGroup);
  }

  async groupsById(ids: Iterable<string>): Promise<Map<string, Group>> {
    const list = [...new Set(ids)];
    if (list.length === 0) return new Map();
    const rows = await this.db.selectFrom('identity_groups').selectAll().where('id', 'in', list).execute();
    return new Map(rows.map((r) => [r.id, toGroup(r)]));
  }

  async createGroup(input: GroupInput, id = newId()): Promise<Group> {
    try {
      await this.db.insertInto('identity_groups').values({
        id, name: input.name, domain_id: input.domainId, description: input.description ?? '',
        extra: JSON.stringify(input.extra ?? {}), created_at: nowIso(),
      }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate(input.name, input.domainId);
      throw err;
    }
    return (await this.getGroup(id))!;
  }

  async updateGroup(id: string, patch: Partial<Omit<GroupInput, 'domainId'>>): Promise<Group> {
    const current = await this.getGroup(id);
    if (!current) throw new NotFound(`Could not find group: ${id}.`);
    try {
      await this.db.updateTable('identity_groups').set({
        name: patch.name ?? current.name,
        description: patch.description ?? current.description,
        extra: JSON.stringify({ ...current.extra, ...(patch.extra ?? {}) }),
      }).where('id', '=', id).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate(patch.name ?? current.name, current.domainId);
      throw err;
    }
    return (await this.getGroup(id))!;
  }

  /** Deletes the group, its memberships and its grants; the former members' ids, or undefined when there was none. */
  async deleteGroup(id: string): Promise<string[] | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const members = (await tx.selectFrom('identity_group_members').select('user_id').where('group_id', '=', id).execute()).map((r) => r.user_id);
      await tx.deleteFrom('identity_group_members').where('group_id', '=', id).execute();
      await tx.deleteFrom('identity_grants').where('type', 'in', ['GroupProject', 'GroupDomain']).where('actor_id', '=', id).execute();
      const r = await tx.deleteFrom('identity_groups').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0 ? members : undefined;
    });
  }

  // -- membership

  /** Idempotent, as Keystone's PUT is. */
  async addMember(groupId: string, userId: string): Promise<void> {
    if (await this.isMember(groupId, userId)) return;
    try {
      await this.db.insertInto('identity_group_members').values({ group_id: groupId, user_id: userId }).execute();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }

  async removeMember(groupId: string, userId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('identity_group_members')
      .where('group_id', '=', groupId).where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async isMember(groupId: string, userId: string): Promise<boolean> {
    const r = await this.db.selectFrom('identity_group_members').select('user_id')
      .where('group_id', '=', groupId).where('user_id', '=', userId).executeTakeFirst();
    return r !== undefined;
  }

  async memberIds(groupId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('identity_group_members').select('user_id').where('group_id', '=', groupId).execute();
    return rows.map((r) => r.user_id);
  }

  async groupsOfUser(userId: string): Promise<Group[]> {
    const rows = await this.db.selectFrom('identity_groups').selectAll()
      .where('id', 'in', (eb) => eb.selectFrom('identity_group_members').select('group_id').where('user_id', '=', userId))
      .orderBy('name').orderBy('id').execute();
    return rows.map(toGroup);
  }

  async groupIdsOfUser(userId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('identity_group_members').select('group_id').where('user_id', '=', userId).execute();
    return rows.map((r) => r.group_id);
  }

  // -- grants

  async grant(g: Grant): Promise<void> {
    if (await this.hasGrant(g)) return;
    try {
      await this.db.insertInto('identity_grants').values({ type: g.type, actor_id: g.actorId, target_id: g.targetId, role_id: g.roleId }).execute();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }

  async revoke(g: Grant): Promise<boolean> {
    const r = await this.db.deleteFrom('identity_grants')
      .where('type', '=', g.type).where('actor_id', '=', g.actorId).where('target_id', '=', g.targetId).where('role_id', '=', g.roleId)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async hasGrant(g: Grant): Promise<boolean> {
    const r = await this.db.selectFrom('identity_grants').select('role_id')
      .where('type', '=', g.type).where('actor_id', '=', g.actorId).where('target_id', '=', g.targetId).where('role_id', '=', g.roleId)
      .executeTakeFirst();
    return r !== undefined;
  }

  async listGrants(filter: { types?: GrantType[]; actorIds?: string[]; targetId?: string; roleId?: string } = {}): Promise<Grant[]> {
    if (filter.types?.length === 0 || filter.actorIds?.length === 0) return [];
    let q = this.db.selectFrom('identity_grants').selectAll().orderBy('type').orderBy('actor_id').orderBy('target_id').orderBy('role_id');
    if (filter.types) q = q.where('type', 'in', filter.types);
    if (filter.actorIds) q = q.where('actor_id', 'in', filter.actorIds);
    if (filter.targetId !== undefined) q = q.where('target_id', '=', filter.targetId);
    if (filter.roleId !== undefined) q = q.where('role_id', '=', filter.roleId);
    const rows = await q.execute();
    return rows.map((r) => ({ type: r.type, actorId: r.actor_id, targetId: r.target_id, roleId: r.role_id }));
  }
}
