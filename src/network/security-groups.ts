/**
 * Security groups as Neutron keeps them: a group owns rules; ports carry
 * groups; every project has a `default` group, made the first time the
 * project needs one, that lets its members talk to each other and anything
 * out. Only the model the compute API's proxy needs today; Neutron's own
 * routes over it are in api/security-groups.ts.
 */
import { randomUUID } from 'node:crypto';
import { Conflict, NotFound } from '../errors.js';
import { isUniqueViolation, nowIso } from '../db/schema-helpers.js';
import type { Scope } from './model.js';
import type { NetworkDb, SecurityGroupRow, SecurityGroupRuleRow } from './tables.js';

export interface SecurityGroupRecord { group: SecurityGroupRow; rules: SecurityGroupRuleRow[] }

export interface SecurityGroupRuleCreate {
  security_group_id: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  description?: string;
}

export const securityGroupNotFound = (id: string) => new NotFound(`Security group ${id} does not exist`, { type: 'SecurityGroupNotFound' });
export const securityGroupRuleNotFound = (id: string) => new NotFound(`Security group rule ${id} does not exist`, { type: 'SecurityGroupRuleNotFound' });

export const DEFAULT_SECURITY_GROUP = 'default';

export class SecurityGroupStore {
  constructor(private readonly db: NetworkDb) {}

  private visible(scope: Scope, g: SecurityGroupRow): boolean {
    return scope.isAdmin || g.project_id === scope.projectId;
  }

  private async withRules(groups: SecurityGroupRow[]): Promise<SecurityGroupRecord[]> {
    if (groups.length === 0) return [];
    const rules = await this.db.selectFrom('neutron_security_group_rules').selectAll()
      .where('security_group_id', 'in', groups.map((g) => g.id)).orderBy('created_at').orderBy('id').execute();
    return groups.map((group) => ({ group, rules: rules.filter((r) => r.security_group_id === group.id) }));
  }

  /** The project's `default` group, created with Neutron's four default rules when missing. */
  async ensureDefault(projectId: string): Promise<string> {
    const have = await this.db.selectFrom('neutron_default_security_groups').select('security_group_id')
      .where('project_id', '=', projectId).executeTakeFirst();
    if (have) return have.security_group_id;
    const id = randomUUID();
    const now = nowIso();
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('neutron_security_groups').values({
          id, project_id: projectId, name: DEFAULT_SECURITY_GROUP, description: 'Default security group', stateful: 1,
          revision_number: 0, created_at: now, updated_at: now,
        }).execute();
        await trx.insertInto('neutron_default_security_groups').values({ project_id: projectId, security_group_id: id }).execute();
        const rule = (direction: string, ethertype: string, remote: string | null) => ({
          id: randomUUID(), security_group_id: id, project_id: projectId, direction, ethertype, protocol: null,
          port_range_min: null, port_range_max: null, remote_ip_prefix: null, remote_group_id: remote, description: '',
          revision_number: 0, created_at: now, updated_at: now,
        });
        await trx.insertInto('neutron_security_group_rules').values([
          rule('egress', 'IPv4', null), rule('egress', 'IPv6', null), rule('ingress', 'IPv4', id), rule('ingress', 'IPv6', id),
        ]).execute();
      });
      return id;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const winner = await this.db.selectFrom('neutron_default_security_groups').select('security_group_id')
        .where('project_id', '=', projectId).executeTakeFirstOrThrow();
      return winner.security_group_id;
    }
  }

  /** Groups the scope may see; `projectId` narrows to one project (the caller's, when not admin). */
  async list(scope: Scope, opts: { projectId?: string; name?: string } = {}): Promise<SecurityGroupRecord[]> {
    if (!scope.isAdmin || opts.projectId === scope.projectId) await this.ensureDefault(scope.projectId);
    let q = this.db.selectFrom('neutron_security_groups').selectAll();
    if (!scope.isAdmin) q = q.where('project_id', '=', scope.projectId);
    if (opts.projectId !== undefined) q = q.where('project_id', '=', opts.projectId);
    if (opts.name !== undefined) q = q.where('name', '=', opts.name);
    return this.withRules(await q.orderBy('created_at').orderBy('id').execute());
  }

  async get(scope: Scope, id: string): Promise<SecurityGroupRecord> {
    const g = await this.db.selectFrom('neutron_security_groups').selectAll().where('id', '=', id).executeTakeFirst();
    if (!g || !this.visible(scope, g)) throw securityGroupNotFound(id);
    return (await this.withRules([g]))[0]!;
  }

  /** Neutron's find by name or id within a project: one match, or 404, or 409 when a name is ambiguous. */
  async find(scope: Scope, projectId: string, nameOrId: string): Promise<SecurityGroupRecord> {
    const byId = await this.db.selectFrom('neutron_security_groups').selectAll().where('id', '=', nameOrId).executeTakeFirst();
    if (byId && this.visible(scope, byId)) return (await this.withRules([byId]))[0]!;
    if (nameOrId === DEFAULT_SECURITY_GROUP) await this.ensureDefault(projectId);
    const named = await this.db.selectFrom('neutron_security_groups').selectAll()
      .where('project_id', '=', projectId).where('name', '=', nameOrId).limit(2).execute();
    if (named.length > 1) throw new Conflict(`Multiple security_group matches found for name '${nameOrId}', use an ID to be more specific.`, { type: 'NeutronClientNoUniqueMatch' });
    if (named.length === 0) throw securityGroupNotFound(nameOrId);
    return (await this.withRules(named))[0]!;
  }

  async create(projectId: string, g: { name: string; description: string }): Promise<SecurityGroupRecord> {
    await this.ensureDefault(projectId);
    if (g.name === DEFAULT_SECURITY_GROUP) throw new Conflict('Default security group already exists.', { type: 'SecurityGroupDefaultAlreadyExists' });
    const now = nowIso();
    const id = randomUUID();
    const row: SecurityGroupRow = { id, project_id: projectId, name: g.name, description: g.description, stateful: 1, revision_number: 0, created_at: now, updated_at: now };
    const egress = (ethertype: string): SecurityGroupRuleRow => ({
      id: randomUUID(), security_group_id: id, project_id: projectId, direction: 'egress', ethertype, protocol: null,
      port_range_min: null, port_range_max: null, remote_ip_prefix: null, remote_group_id: null, description: '',
      revision_number: 0, created_at: now, updated_at: now,
    });
    // As Neutron: a new group lets everything out and nothing in.
    const rules = [egress('IPv4'), egress('IPv6')];
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('neutron_security_groups').values(row).execute();
      await trx.insertInto('neutron_security_group_rules').values(rules).execute();
    });
    return { group: row, rules };
  }

  async update(scope: Scope, id: string, changes: { name?: string; description?: string }): Promise<SecurityGroupRecord> {
    const current = await this.get(scope, id);
    if (changes.name !== undefined && changes.name !== current.group.name && current.group.name === DEFAULT_SECURITY_GROUP) {
      throw new Conflict('Updating default security group not allowed.', { type: 'SecurityGroupCannotUpdateDefault' });
    }
    // Neutron's name_not_default validator: no second group may take the name, in any case.
    if (changes.name !== undefined && changes.name.toLowerCase() === DEFAULT_SECURITY_GROUP && current.group.name !== DEFAULT_SECURITY_GROUP) {
      throw new Conflict('Default security group already exists.', { type: 'SecurityGroupDefaultAlreadyExists' });
    }
    await this.db.updateTable('neutron_security_groups')
      .set({ ...changes, updated_at: nowIso(), revision_number: current.group.revision_number + 1 }).where('id', '=', id).execute();
    return this.get(scope, id);
  }

  async delete(scope: Scope, id: string): Promise<void> {
    const current = await this.get(scope, id);
    const isDefault = await this.db.selectFrom('neutron_default_security_groups').select('project_id')
      .where('security_group_id', '=', id).executeTakeFirst();
    if (isDefault && !scope.isAdmin) throw new Conflict('Insufficient rights for removing default security group.', { type: 'SecurityGroupCannotRemoveDefault' });
    const used = await this.db.selectFrom('neutron_security_group_port_bindings').select('port_id').where('security_group_id', '=', id).limit(1).executeTakeFirst();
    if (used) throw new Conflict(`Security Group ${id} in use.`, { type: 'SecurityGroupInUse' });
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('neutron_default_security_groups').where('security_group_id', '=', id).execute();
      // Rules of other groups that name this one as their remote group go with it, as
      // Neutron's foreign key cascades: a rule about a group that is gone means nothing.
      await trx.deleteFrom('neutron_security_group_rules').where((eb) => eb.or([eb('security_group_id', '=', id), eb('remote_group_id', '=', id)])).execute();
      await trx.deleteFrom('neutron_security_groups').where('id', '=', current.group.id).execute();
    });
  }

  async getRule(scope: Scope, id: string): Promise<SecurityGroupRuleRow> {
    const r = await this.db.selectFrom('neutron_security_group_rules').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r || !(scope.isAdmin || r.project_id === scope.projectId)) throw securityGroupRuleNotFound(id);
    return r;
  }

  /** Adds a rule to a group the scope may see; an identical rule is a 409, as in Neutron. */
  async createRule(scope: Scope, rule: SecurityGroupRuleCreate): Promise<SecurityGroupRuleRow> {
    const parent = await this.get(scope, rule.security_group_id);
    if (rule.remote_group_id !== null) await this.get(scope, rule.remote_group_id);
    const same = parent.rules.find((r) => r.direction === rule.direction && r.ethertype === rule.ethertype
      && (r.protocol ?? null) === rule.protocol && r.port_range_min === rule.port_range_min && r.port_range_max === rule.port_range_max
      && r.remote_ip_prefix === rule.remote_ip_prefix && r.remote_group_id === rule.remote_group_id);
    if (same) throw new Conflict(`Security group rule already exists. Rule id is ${same.id}.`, { type: 'SecurityGroupRuleExists' });
    const now = nowIso();
    const row: SecurityGroupRuleRow = {
      id: randomUUID(), project_id: parent.group.project_id, description: rule.description ?? '', revision_number: 0,
      created_at: now, updated_at: now, security_group_id: rule.security_group_id, direction: rule.direction,
      ethertype: rule.ethertype, protocol: rule.protocol, port_range_min: rule.port_range_min,
      port_range_max: rule.port_range_max, remote_ip_prefix: rule.remote_ip_prefix, remote_group_id: rule.remote_group_id,
    };
    await this.db.insertInto('neutron_security_group_rules').values(row).execute();
    return row;
  }

  async deleteRule(scope: Scope, id: string): Promise<void> {
    await this.getRule(scope, id);
    await this.db.deleteFrom('neutron_security_group_rules').where('id', '=', id).execute();
  }

  /** Each port of a device with the groups it carries, in port order. */
  async portsOfDevice(deviceId: string): Promise<Array<{ portId: string; groupIds: string[] }>> {
    const ports = await this.db.selectFrom('neutron_ports').select(['id']).where('device_id', '=', deviceId).orderBy('created_at').orderBy('id').execute();
    if (ports.length === 0) return [];
    const bindings = await this.db.selectFrom('neutron_security_group_port_bindings').selectAll()
      .where('port_id', 'in', ports.map((p) => p.id)).execute();
    return ports.map((p) => ({ portId: p.id, groupIds: bindings.filter((b) => b.port_id === p.id).map((b) => b.security_group_id).sort() }));
  }

  /** Makes a port carry exactly these groups. */
  async setPortGroups(portId: string, groupIds: readonly string[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      // Two writers setting the same groups at once: the loser's insert collides, and its result is already there.
      await trx.deleteFrom('neutron_security_group_port_bindings').where('port_id', '=', portId).execute();
      const unique = [...new Set(groupIds)];
      if (unique.length > 0) {
        await trx.insertInto('neutron_security_group_port_bindings').values(unique.map((id) => ({ port_id: portId, security_group_id: id })))
          .onConflict((oc) => oc.doNothing()).execute();
      }
    });
  }

  /**
   * The groups a new port starts with, as Neutron gives them: the ids or
   * names asked for (within the port's project), else the project's default
   * group; none for the network's own ports (network:*) or without port security.
   */
  async forNewPort(port: { project_id: string; device_owner: string; port_security_enabled: boolean }, asked?: readonly string[]): Promise<string[]> {
    if (asked !== undefined && asked.length > 0) {
      const ids: string[] = [];
      for (const nameOrId of asked) ids.push((await this.find({ isAdmin: false, projectId: port.project_id }, port.project_id, nameOrId)).group.id);
      return [...new Set(ids)];
    }
    if (asked !== undefined || !port.port_security_enabled || port.device_owner.startsWith('network:')) return [];
    return [await this.ensureDefault(port.project_id)];
  }

  /** Groups by id, however many (for names of a port's groups). */
  async byIds(ids: readonly string[]): Promise<SecurityGroupRecord[]> {
    if (ids.length === 0) return [];
    return this.withRules(await this.db.selectFrom('neutron_security_groups').selectAll().where('id', 'in', [...new Set(ids)]).execute());
  }
}
