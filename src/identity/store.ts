/**
 * The identity data layer: domains, projects, users, roles, implied roles and
 * role assignments. Pure data access; token revocation on changes is the
 * service's job (service.ts).
 */
import type { Selectable } from 'kysely';
import { Conflict, NotFound } from '../errors.js';
import { isUniqueViolation, nowIso } from '../db/schema-helpers.js';
import { DEFAULT_SCRYPT_COST, hashPassword, type ScryptCost } from './passwords.js';
import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { DomainRow, IdentityDb, IdentityTables, ProjectRow, RoleRow, UserRow } from './tables.js';
import {
  newId, type Domain, type DomainInput, type Project, type ProjectInput, type Role, type RoleAssignment, type RoleInput,
  type User, type UserInput,
} from './model.js';

function parseJson(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const toDomain = (r: Selectable<DomainRow>): Domain => ({ id: r.id, name: r.name, description: r.description, enabled: r.enabled === 1 });

function toProject(r: Selectable<ProjectRow>): Project {
  const extra = parseJson(r.extra);
  const tags = Array.isArray(extra.tags) ? (extra.tags as unknown[]).filter((t): t is string => typeof t === 'string') : [];
  delete extra.tags;
  return { id: r.id, name: r.name, domainId: r.domain_id, description: r.description, enabled: r.enabled === 1, parentId: r.parent_id ?? null, tags, extra };
}

const toUser = (r: Selectable<UserRow>): User => ({
  id: r.id, name: r.name, domainId: r.domain_id, enabled: r.enabled === 1,
  defaultProjectId: r.default_project_id, extra: parseJson(r.extra),
});

const toRole = (r: Selectable<RoleRow>): Role => ({ id: r.id, name: r.name, description: r.description });

export interface ProjectFilter { name?: string; domainId?: string; enabled?: boolean; parentId?: string }
export interface UserFilter { name?: string; domainId?: string; enabled?: boolean }
export interface AssignmentFilter { userId?: string; projectId?: string; roleId?: string }

export class IdentityStore {
  constructor(readonly db: IdentityDb, readonly passwordCost: ScryptCost = DEFAULT_SCRYPT_COST) {}

  hashPassword(password: string): Promise<string> {
    return hashPassword(password, this.passwordCost);
  }

  // -- domains

  async ensureDomain(id: string, name: string, description: string): Promise<Domain> {
    const existing = await this.getDomain(id);
    if (existing) return existing;
    try {
      await this.db.insertInto('identity_domains')
        .values({ id, name, description, enabled: 1, created_at: nowIso() }).execute();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
    const created = await this.getDomain(id);
    if (!created) throw new Conflict(`Domain name ${name} is already used by another domain.`);
    return created;
  }

  async getDomain(id: string): Promise<Domain | undefined> {
    const r = await this.db.selectFrom('identity_domains').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toDomain(r);
  }

  async findDomainByName(name: string): Promise<Domain | undefined> {
    const r = await this.db.selectFrom('identity_domains').selectAll().where('name', '=', name).executeTakeFirst();
    return r && toDomain(r);
  }

  async listDomains(filter: { name?: string; enabled?: boolean } = {}): Promise<Domain[]> {
    let q = this.db.selectFrom('identity_domains').selectAll().orderBy('name');
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    if (filter.enabled !== undefined) q = q.where('enabled', '=', filter.enabled ? 1 : 0);
    return (await q.execute()).map(toDomain);
  }

  /** The domains with the given ids, in one query. */
  async domainsById(ids: Iterable<string>): Promise<Map<string, Domain>> {
    const list = [...new Set(ids)];
    if (list.length === 0) return new Map();
    const rows = await this.db.selectFrom('identity_domains').selectAll().where('id', 'in', list).execute();
    return new Map(rows.map((r) => [r.id, toDomain(r)]));
  }

  async createDomain(input: DomainInput, id = newId()): Promise<Domain> {
    try {
      await this.db.insertInto('identity_domains').values({
        id, name: input.name, description: input.description ?? '', enabled: input.enabled === false ? 0 : 1, created_at: nowIso(),
      }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Conflict occurred attempting to store domain - Duplicate entry found with name ${input.name}.`);
      throw err;
    }
    return (await this.getDomain(id))!;
  }

  async updateDomain(id: string, patch: Partial<DomainInput>): Promise<Domain> {
    const current = await this.getDomain(id);
    if (!current) throw new NotFound(`Could not find domain: ${id}.`);
    try {
      await this.db.updateTable('identity_domains').set({
        name: patch.name ?? current.name,
        description: patch.description ?? current.description,
        enabled: (patch.enabled ?? current.enabled) ? 1 : 0,
      }).where('id', '=', id).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Conflict occurred attempting to store domain - Duplicate entry found with name ${patch.name}.`);
      throw err;
    }
    return (await this.getDomain(id))!;
  }

  /**
   * Deletes the domain and everything in it, as Keystone does: its projects,
   * users and groups, and every grant on or to them. The caller checks that
   * the domain is disabled. The ids of the users and projects that went, so
   * their tokens can be revoked.
   */
  async deleteDomain(id: string): Promise<{ deleted: boolean; userIds: string[]; projectIds: string[] }> {
    return this.db.transaction().execute(async (tx) => {
      const projectIds = (await tx.selectFrom('identity_projects').select('id').where('domain_id', '=', id).execute()).map((r) => r.id);
      const userIds = (await tx.selectFrom('identity_users').select('id').where('domain_id', '=', id).execute()).map((r) => r.id);
      const groupIds = (await tx.selectFrom('identity_groups').select('id').where('domain_id', '=', id).execute()).map((r) => r.id);
      for (const chunk of chunks(projectIds)) {
        await tx.deleteFrom('identity_role_assignments').where('project_id', 'in', chunk).execute();
        await tx.deleteFrom('identity_grants').where('type', '=', 'GroupProject').where('target_id', 'in', chunk).execute();
        await tx.updateTable('identity_users').set({ default_project_id: null }).where('default_project_id', 'in', chunk).execute();
        await tx.deleteFrom('identity_credentials').where('project_id', 'in', chunk).execute();
        await deleteAppCreds(tx, (q) => q.where('project_id', 'in', chunk));
      }
      for (const chunk of chunks(userIds)) {
        await tx.deleteFrom('identity_role_assignments').where('user_id', 'in', chunk).execute();
        await tx.deleteFrom('identity_group_members').where('user_id', 'in', chunk).execute();
        await tx.deleteFrom('identity_grants').where('type', '=', 'UserDomain').where('actor_id', 'in', chunk).execute();
        await tx.deleteFrom('identity_credentials').where('user_id', 'in', chunk).execute();
        await deleteAppCreds(tx, (q) => q.where('user_id', 'in', chunk));
      }
      for (const chunk of chunks(groupIds)) {
        await tx.deleteFrom('identity_group_members').where('group_id', 'in', chunk).execute();
        await tx.deleteFrom('identity_grants').where('type', 'in', ['GroupProject', 'GroupDomain']).where('actor_id', 'in', chunk).execute();
      }
      await tx.deleteFrom('identity_grants').where('type', 'in', ['UserDomain', 'GroupDomain']).where('target_id', '=', id).execute();
      await tx.deleteFrom('identity_groups').where('domain_id', '=', id).execute();
      await tx.deleteFrom('identity_users').where('domain_id', '=', id).execute();
      await tx.deleteFrom('identity_projects').where('domain_id', '=', id).execute();
      const r = await tx.deleteFrom('identity_domains').where('id', '=', id).executeTakeFirst();
      return { deleted: Number(r.numDeletedRows) > 0, userIds, projectIds };
    });
  }

  // -- projects

  async getProject(id: string): Promise<Project | undefined> {
    const r = await this.db.selectFrom('identity_projects').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toProject(r);
  }

  async findProject(name: string, domainId: string): Promise<Project | undefined> {
    const r = await this.db.selectFrom('identity_projects').selectAll()
      .where('name', '=', name).where('domain_id', '=', domainId).executeTakeFirst();
    return r && toProject(r);
  }

  async listProjects(filter: ProjectFilter = {}): Promise<Project[]> {
    let q = this.db.selectFrom('identity_projects').selectAll().orderBy('name').orderBy('id');
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    if (filter.domainId !== undefined) q = q.where('domain_id', '=', filter.domainId);
    if (filter.enabled !== undefined) q = q.where('enabled', '=', filter.enabled ? 1 : 0);
    if (filter.parentId !== undefined) {
      // A top-level project's parent is its domain, as Keystone shows it.
      const parentId = filter.parentId;
      q = q.where((eb) => eb.or([eb('parent_id', '=', parentId), eb.and([eb('parent_id', 'is', null), eb('domain_id', '=', parentId)])]));
    }
    return (await q.execute()).map(toProject);
  }

  async hasChildren(projectId: string): Promise<boolean> {
    const r = await this.db.selectFrom('identity_projects').select('id').where('parent_id', '=', projectId).executeTakeFirst();
    return r !== undefined;
  }

  /** Projects on which the user has at least one role. */
  async listProjectsForUser(userId: string, filter: ProjectFilter = {}): Promise<Project[]> {
    let q = this.db.selectFrom('identity_projects').selectAll()
      .where((eb) => eb.or([
        eb('id', 'in', eb.selectFrom('identity_role_assignments').select('project_id').where('user_id', '=', userId)),
        eb('id', 'in', eb.selectFrom('identity_grants').select('target_id').where('type', '=', 'GroupProject')
          .where('actor_id', 'in', eb.selectFrom('identity_group_members').select('group_id').where('user_id', '=', userId))),
      ]))
      .orderBy('name').orderBy('id');
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    if (filter.domainId !== undefined) q = q.where('domain_id', '=', filter.domainId);
    if (filter.enabled !== undefined) q = q.where('enabled', '=', filter.enabled ? 1 : 0);
    return (await q.execute()).map(toProject);
  }

  async projectsById(ids: Iterable<string>): Promise<Map<string, Project>> {
    const list = [...new Set(ids)];
    if (list.length === 0) return new Map();
    const rows = await this.db.selectFrom('identity_projects').selectAll().where('id', 'in', list).execute();
    return new Map(rows.map((r) => [r.id, toProject(r)]));
  }

  async createProject(input: ProjectInput, id = newId()): Promise<Project> {
    await this.requireDomain(input.domainId);
    const extra = { ...(input.extra ?? {}), tags: input.tags ?? [] };
    try {
      await this.db.insertInto('identity_projects').values({
        id, name: input.name, domain_id: input.domainId, parent_id: input.parentId ?? null, description: input.description ?? '',
        enabled: input.enabled === false ? 0 : 1, extra: JSON.stringify(extra), created_at: nowIso(), updated_at: null,
      }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new Conflict(`Conflict occurred attempting to store project - it is not permitted to have two projects with the same name in the same domain : ${input.name}.`);
      }
      throw err;
    }
    return (await this.getProject(id))!;
  }

  async updateProject(id: string, patch: Partial<Omit<ProjectInput, 'domainId' | 'parentId'>>): Promise<Project> {
    const current = await this.getProject(id);
    if (!current) throw new NotFound(`Could not find project: ${id}.`);
    const extra = { ...current.extra, ...(patch.extra ?? {}), tags: patch.tags ?? current.tags };
    try {
      await this.db.updateTable('identity_projects').set({
        name: patch.name ?? current.name,
        description: patch.description ?? current.description,
        enabled: (patch.enabled ?? current.enabled) ? 1 : 0,
        extra: JSON.stringify(extra),
        updated_at: nowIso(),
      }).where('id', '=', id).execute();
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new Conflict(`Conflict occurred attempting to store project - it is not permitted to have two projects with the same name in the same domain : ${patch.name}.`);
      }
      throw err;
    }
    return (await this.getProject(id))!;
  }

  /** Deletes the project and its role assignments; false when there was none. */
  async deleteProject(id: string): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('identity_role_assignments').where('project_id', '=', id).execute();
      await tx.deleteFrom('identity_grants').where('type', '=', 'GroupProject').where('target_id', '=', id).execute();
      await tx.updateTable('identity_users').set({ default_project_id: null }).where('default_project_id', '=', id).execute();
      await deleteAppCreds(tx, (q) => q.where('project_id', '=', id));
      const r = await tx.deleteFrom('identity_projects').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  // -- users

  async getUser(id: string): Promise<User | undefined> {
    const r = await this.db.selectFrom('identity_users').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toUser(r);
  }

  /** The user with its password hash, for authentication only. */
  async getUserWithHash(by: { id: string } | { name: string; domainId: string }): Promise<{ user: User; hash: string | null } | undefined> {
    let q = this.db.selectFrom('identity_users').selectAll();
    q = 'id' in by ? q.where('id', '=', by.id) : q.where('name', '=', by.name).where('domain_id', '=', by.domainId);
    const r = await q.executeTakeFirst();
    return r && { user: toUser(r), hash: r.password_hash };
  }

  async findUser(name: string, domainId: string): Promise<User | undefined> {
    const r = await this.db.selectFrom('identity_users').selectAll()
      .where('name', '=', name).where('domain_id', '=', domainId).executeTakeFirst();
    return r && toUser(r);
  }

  async listUsers(filter: UserFilter = {}): Promise<User[]> {
    let q = this.db.selectFrom('identity_users').selectAll().orderBy('name').orderBy('id');
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    if (filter.domainId !== undefined) q = q.where('domain_id', '=', filter.domainId);
    if (filter.enabled !== undefined) q = q.where('enabled', '=', filter.enabled ? 1 : 0);
    return (await q.execute()).map(toUser);
  }

  async usersById(ids: Iterable<string>): Promise<Map<string, User>> {
    const list = [...new Set(ids)];
    if (list.length === 0) return new Map();
    const rows = await this.db.selectFrom('identity_users').selectAll().where('id', 'in', list).execute();
    return new Map(rows.map((r) => [r.id, toUser(r)]));
  }

  async createUser(input: UserInput, id = newId()): Promise<User> {
    await this.requireDomain(input.domainId);
    // Hash before the insert: the slow part stays outside any transaction.
    const hash = input.password ? await this.hashPassword(input.password) : null;
    try {
      await this.db.insertInto('identity_users').values({
        id, name: input.name, domain_id: input.domainId, password_hash: hash,
        enabled: input.enabled === false ? 0 : 1, default_project_id: input.defaultProjectId ?? null,
        extra: JSON.stringify(input.extra ?? {}), created_at: nowIso(), updated_at: null,
      }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new Conflict(`Conflict occurred attempting to store user - Duplicate entry found with name ${input.name} at domain ID ${input.domainId}.`);
      }
      throw err;
    }
    return (await this.getUser(id))!;
  }

  async updateUser(id: string, patch: Partial<Omit<UserInput, 'domainId'>>): Promise<User> {
    const current = await this.getUser(id);
    if (!current) throw new NotFound(`Could not find user: ${id}.`);
    const hash = patch.password ? await this.hashPassword(patch.password) : undefined;
    const set: Partial<UserRow> = {
      name: patch.name ?? current.name,
      enabled: (patch.enabled ?? current.enabled) ? 1 : 0,
      default_project_id: patch.defaultProjectId === undefined ? current.defaultProjectId : patch.defaultProjectId,
      extra: JSON.stringify({ ...current.extra, ...(patch.extra ?? {}) }),
      updated_at: nowIso(),
    };
    if (hash !== undefined) set.password_hash = hash;
    else if (patch.password === null) set.password_hash = null;
    try {
      await this.db.updateTable('identity_users').set(set).where('id', '=', id).execute();
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new Conflict(`Conflict occurred attempting to store user - Duplicate entry found with name ${patch.name} at domain ID ${current.domainId}.`);
      }
      throw err;
    }
    return (await this.getUser(id))!;
  }

  async setPasswordHash(id: string, hash: string): Promise<void> {
    await this.db.updateTable('identity_users').set({ password_hash: hash, updated_at: nowIso() }).where('id', '=', id).execute();
  }

  async deleteUser(id: string): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('identity_role_assignments').where('user_id', '=', id).execute();
      await tx.deleteFrom('identity_group_members').where('user_id', '=', id).execute();
      await tx.deleteFrom('identity_grants').where('type', '=', 'UserDomain').where('actor_id', '=', id).execute();
      await tx.deleteFrom('identity_credentials').where('user_id', '=', id).execute();
      await deleteAppCreds(tx, (q) => q.where('user_id', '=', id));
      const r = await tx.deleteFrom('identity_users').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  // -- roles

  async getRole(id: string): Promise<Role | undefined> {
    const r = await this.db.selectFrom('identity_roles').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toRole(r);
  }

  async findRoleByName(name: string): Promise<Role | undefined> {
    const r = await this.db.selectFrom('identity_roles').selectAll().where('name', '=', name).executeTakeFirst();
    return r && toRole(r);
  }

  async listRoles(filter: { name?: string } = {}): Promise<Role[]> {
    let q = this.db.selectFrom('identity_roles').selectAll().orderBy('name');
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    return (await q.execute()).map(toRole);
  }

  async rolesById(ids: Iterable<string>): Promise<Map<string, Role>> {
    const list = [...new Set(ids)];
    if (list.length === 0) return new Map();
    const rows = await this.db.selectFrom('identity_roles').selectAll().where('id', 'in', list).execute();
    return new Map(rows.map((r) => [r.id, toRole(r)]));
  }

  async createRole(input: RoleInput, id = newId()): Promise<Role> {
    try {
      await this.db.insertInto('identity_roles')
        .values({ id, name: input.name, description: input.description ?? '', created_at: nowIso() }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Conflict occurred attempting to store role - Duplicate entry found with name ${input.name}.`);
      throw err;
    }
    return (await this.getRole(id))!;
  }

  async updateRole(id: string, patch: Partial<RoleInput>): Promise<Role> {
    const current = await this.getRole(id);
    if (!current) throw new NotFound(`Could not find role: ${id}.`);
    try {
      await this.db.updateTable('identity_roles')
        .set({ name: patch.name ?? current.name, description: patch.description ?? current.description })
        .where('id', '=', id).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Conflict occurred attempting to store role - Duplicate entry found with name ${patch.name}.`);
      throw err;
    }
    return (await this.getRole(id))!;
  }

  async deleteRole(id: string): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('identity_role_assignments').where('role_id', '=', id).execute();
      await tx.deleteFrom('identity_grants').where('role_id', '=', id).execute();
      await tx.deleteFrom('identity_trust_roles').where('role_id', '=', id).execute();
      await tx.deleteFrom('identity_application_credential_roles').where('role_id', '=', id).execute();
      await tx.deleteFrom('identity_implied_roles')
        .where((eb) => eb.or([eb('prior_role_id', '=', id), eb('implied_role_id', '=', id)])).execute();
      const r = await tx.deleteFrom('identity_roles').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  async addImpliedRole(priorRoleId: string, impliedRoleId: string): Promise<void> {
    const exists = await this.db.selectFrom('identity_implied_roles').select('prior_role_id')
      .where('prior_role_id', '=', priorRoleId).where('implied_role_id', '=', impliedRoleId).executeTakeFirst();
    if (exists) return;
    try {
      await this.db.insertInto('identity_implied_roles').values({ prior_role_id: priorRoleId, implied_role_id: impliedRoleId }).execute();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }

  async removeImpliedRole(priorRoleId: string, impliedRoleId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('identity_implied_roles')
      .where('prior_role_id', '=', priorRoleId).where('implied_role_id', '=', impliedRoleId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async listImpliedRoles(): Promise<Array<{ priorRoleId: string; impliedRoleId: string }>> {
    const rows = await this.db.selectFrom('identity_implied_roles').selectAll().execute();
    return rows.map((r) => ({ priorRoleId: r.prior_role_id, impliedRoleId: r.implied_role_id }));
  }

  // -- role assignments

  /** Idempotent, as Keystone's PUT is. */
  async grant(userId: string, projectId: string, roleId: string): Promise<void> {
    if (await this.hasGrant(userId, projectId, roleId)) return;
    try {
      await this.db.insertInto('identity_role_assignments').values({ user_id: userId, project_id: projectId, role_id: roleId }).execute();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }

  async revokeGrant(userId: string, projectId: string, roleId: string): Promise<boolean> {
    const r = await this.db.deleteFrom('identity_role_assignments')
      .where('user_id', '=', userId).where('project_id', '=', projectId).where('role_id', '=', roleId)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async hasGrant(userId: string, projectId: string, roleId: string): Promise<boolean> {
    const r = await this.db.selectFrom('identity_role_assignments').select('role_id')
      .where('user_id', '=', userId).where('project_id', '=', projectId).where('role_id', '=', roleId)
      .executeTakeFirst();
    return r !== undefined;
  }

  async listAssignments(filter: AssignmentFilter = {}): Promise<RoleAssignment[]> {
    let q = this.db.selectFrom('identity_role_assignments').selectAll()
      .orderBy('user_id').orderBy('project_id').orderBy('role_id');
    if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
    if (filter.projectId !== undefined) q = q.where('project_id', '=', filter.projectId);
    if (filter.roleId !== undefined) q = q.where('role_id', '=', filter.roleId);
    const rows = await q.execute();
    return rows.map((r) => ({ userId: r.user_id, projectId: r.project_id, roleId: r.role_id }));
  }

  /** The roles directly assigned to the user on the project (no implied roles). */
  async assignedRoles(userId: string, projectId: string): Promise<Role[]> {
    const rows = await this.db.selectFrom('identity_role_assignments as a')
      .innerJoin('identity_roles as r', 'r.id', 'a.role_id')
      .select(['r.id', 'r.name', 'r.description', 'r.created_at'])
      .where('a.user_id', '=', userId).where('a.project_id', '=', projectId)
      .orderBy('r.name')
      .execute();
    return rows.map(toRole);
  }

  /** The roles the user holds on the project through its groups. */
  async groupRoles(userId: string, target: { projectId: string } | { domainId: string }): Promise<Role[]> {
    const [type, targetId] = 'projectId' in target ? ['GroupProject', target.projectId] as const : ['GroupDomain', target.domainId] as const;
    const rows = await this.db.selectFrom('identity_grants as g')
      .innerJoin('identity_group_members as m', 'm.group_id', 'g.actor_id')
      .innerJoin('identity_roles as r', 'r.id', 'g.role_id')
      .select(['r.id', 'r.name', 'r.description', 'r.created_at'])
      .where('g.type', '=', type).where('g.target_id', '=', targetId).where('m.user_id', '=', userId)
      .orderBy('r.name')
      .execute();
    return rows.map(toRole);
  }

  /** The roles directly assigned to the user on the domain. */
  async domainRoles(userId: string, domainId: string): Promise<Role[]> {
    const rows = await this.db.selectFrom('identity_grants as g')
      .innerJoin('identity_roles as r', 'r.id', 'g.role_id')
      .select(['r.id', 'r.name', 'r.description', 'r.created_at'])
      .where('g.type', '=', 'UserDomain').where('g.target_id', '=', domainId).where('g.actor_id', '=', userId)
      .orderBy('r.name')
      .execute();
    return rows.map(toRole);
  }

  /**
   * The user's roles on the project (or domain) with implied roles added, as a
   * token carries them: direct grants and those through the user's groups.
   */
  async effectiveRoles(userId: string, projectId: string, scope: 'project' | 'domain' = 'project'): Promise<Role[]> {
    const [own, viaGroups] = scope === 'project'
      ? await Promise.all([this.assignedRoles(userId, projectId), this.groupRoles(userId, { projectId })])
      : await Promise.all([this.domainRoles(userId, projectId), this.groupRoles(userId, { domainId: projectId })]);
    const direct = [...own, ...viaGroups.filter((g) => !own.some((r) => r.id === g.id))];
    if (direct.length === 0) return [];
    const implications = await this.listImpliedRoles();
    const ids = expandImplied(direct.map((r) => r.id), implications);
    const missing = ids.filter((id) => !direct.some((r) => r.id === id));
    const more = await this.rolesById(missing);
    return [...direct, ...missing.map((id) => more.get(id)).filter((r): r is Role => r !== undefined)];
  }

  private async requireDomain(id: string): Promise<void> {
    if (!(await this.getDomain(id))) throw new NotFound(`Could not find domain: ${id}.`);
  }
}

/** The closure of the given role ids under the implication rules (cycles are harmless). */
export function expandImplied(roleIds: string[], implications: Array<{ priorRoleId: string; impliedRoleId: string }>): string[] {
  const seen = new Set(roleIds);
  const queue = [...roleIds];
  while (queue.length > 0) {
    const id = queue.shift()!;
    for (const rule of implications) {
      if (rule.priorRoleId === id && !seen.has(rule.impliedRoleId)) {
        seen.add(rule.impliedRoleId);
        queue.push(rule.impliedRoleId);
      }
    }
  }
  return [...seen];
}

/** Lists for `in (...)` short enough for every dialect's parameter limit. */
function chunks(ids: string[], size = 500): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < ids.length; i += size) out.push(ids.slice(i, i + size));
  return out;
}

type AppCredQuery = SelectQueryBuilder<IdentityTables, 'identity_application_credentials', { id: string }>;

/** Deletes the application credentials the filter selects, and their roles. */
async function deleteAppCreds(tx: Kysely<IdentityTables>, filter: (q: AppCredQuery) => AppCredQuery): Promise<void> {
  const ids = (await filter(tx.selectFrom('identity_application_credentials').select('id')).execute()).map((r) => r.id);
  for (const chunk of chunks(ids)) {
    await tx.deleteFrom('identity_application_credential_roles').where('application_credential_id', 'in', chunk).execute();
    await tx.deleteFrom('identity_application_credentials').where('id', 'in', chunk).execute();
  }
}
