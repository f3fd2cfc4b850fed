/**
 * RBAC policies (Neutron's /v2.0/rbac-policies) for networks: a grant lets a
 * project (or '*', every project) attach to a network it doesn't own
 * (access_as_shared) or use it as an external network for router gateways and
 * floating IPs (access_as_external). A network's `shared` flag is its '*'
 * shared grant, and its `router:external` flag says it is external at all;
 * both are kept in step with the grants in the same transaction.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { nowIso, isUniqueViolation } from '../db/schema-helpers.js';
import { Conflict, NotFound } from '../errors.js';
import type { NetworkRow, NetworkTables, RbacPolicyRow } from './tables.js';
import { listRows, type ListableTable, type ListRequest } from './listing.js';
import { invalidInput, networkNotFound } from './errors.js';
import type { Scope } from './model.js';

export const RBAC_OBJECT_TYPES = ['network'] as const;
export const RBAC_ACTIONS = ['access_as_shared', 'access_as_external'] as const;
export type RbacAction = typeof RBAC_ACTIONS[number];
export const WILDCARD = '*';

export const rbacPolicyNotFound = (id: string, objectType = 'network') =>
  new NotFound(`RBAC policy of type ${objectType} with ID ${id} not found`, { type: 'RbacPolicyNotFound' });
export const rbacPolicyInUse = (objectId: string, details: string) => new Conflict(
  `RBAC policy on object ${objectId} cannot be removed because other objects depend on it.\nDetails: ${details}`,
  { type: 'RbacPolicyInUse' },
);
export const duplicateRbacPolicy = () => new Conflict('An RBAC policy already exists with those values.', { type: 'DuplicateRbacPolicy' });

export const RBAC_POLICY_LISTING: ListableTable = {
  table: 'neutron_rbac_policies',
  taggable: false,
  attrs: {
    id: { column: 'id', kind: 'string' },
    project_id: { column: 'project_id', kind: 'string' },
    tenant_id: { column: 'project_id', kind: 'string' },
    object_type: { column: 'object_type', kind: 'string' },
    object_id: { column: 'object_id', kind: 'string' },
    action: { column: 'action', kind: 'string' },
    target_tenant: { column: 'target_project', kind: 'string' },
    target_project: { column: 'target_project', kind: 'string' },
  },
};

type Db = Kysely<NetworkTables> | Transaction<NetworkTables>;

export interface RbacPolicyCreate {
  project_id: string;
  object_type: string;
  object_id: string;
  action: RbacAction;
  target_project: string;
}

/** The network flags a set of grants implies; written whenever grants change. */
async function syncNetworkFlags(db: Db, networkId: string): Promise<void> {
  const grants = await db.selectFrom('neutron_rbac_policies').select(['action', 'target_project'])
    .where('object_type', '=', 'network').where('object_id', '=', networkId).execute();
  const shared = grants.some((g) => g.action === 'access_as_shared' && g.target_project === WILDCARD);
  const external = grants.some((g) => g.action === 'access_as_external');
  await db.updateTable('neutron_networks')
    .set({ shared: shared ? 1 : 0, router_external: external ? 1 : 0, updated_at: nowIso() })
    .where('id', '=', networkId).execute();
}

/** Writes the '*' grant for an action, or removes it (all external grants, for external), when a network's flag is set. */
export async function setWildcardGrant(db: Db, network: Pick<NetworkRow, 'id' | 'project_id'>, action: RbacAction, granted: boolean): Promise<void> {
  if (granted) {
    const exists = await db.selectFrom('neutron_rbac_policies').select('id')
      .where('object_type', '=', 'network').where('object_id', '=', network.id)
      .where('action', '=', action).where('target_project', '=', WILDCARD).executeTakeFirst();
    if (!exists) {
      await db.insertInto('neutron_rbac_policies').values({
        id: randomUUID(), project_id: network.project_id, object_type: 'network', object_id: network.id,
        action, target_project: WILDCARD, created_at: nowIso(),
      }).execute();
    }
  } else if (action === 'access_as_external') {
    // A network stops being external as a whole, as Neutron's router:external=False does.
    await db.deleteFrom('neutron_rbac_policies').where('object_type', '=', 'network').where('object_id', '=', network.id)
      .where('action', '=', action).execute();
  } else {
    await db.deleteFrom('neutron_rbac_policies').where('object_type', '=', 'network').where('object_id', '=', network.id)
      .where('action', '=', action).where('target_project', '=', WILDCARD).execute();
  }
}

/**
 * Projects other than the owner that have ports on the network and would
 * lose access without `dropping` (Neutron's ensure_no_tenant_ports_on_network).
 */
async function projectsLosingAccess(db: Db, network: NetworkRow, dropping: Pick<RbacPolicyRow, 'id' | 'target_project'>): Promise<boolean> {
  if (dropping.target_project === network.project_id) return false;
  const others = await db.selectFrom('neutron_rbac_policies').select('target_project')
    .where('object_type', '=', 'network').where('object_id', '=', network.id)
    .where('action', '=', 'access_as_shared').where('id', '!=', dropping.id).execute();
  const remaining = new Set(others.map((o) => o.target_project));
  if (remaining.has(WILDCARD)) return false;
  let q = db.selectFrom('neutron_ports').select('project_id').where('network_id', '=', network.id)
    .where('project_id', '!=', network.project_id).where('device_owner', 'not like', 'network:%');
  if (dropping.target_project !== WILDCARD) q = q.where('project_id', '=', dropping.target_project);
  const ports = await q.execute();
  return ports.some((p) => !remaining.has(p.project_id));
}

/** Routers (by their gateway) and floating IPs on the external network, of projects left without a grant. */
async function externalUseBy(db: Db, networkId: string, project: string, remaining: Set<string>): Promise<boolean> {
  if (remaining.has(WILDCARD)) return false;
  let routers = db.selectFrom('neutron_routers').innerJoin('neutron_ports', 'neutron_ports.id', 'neutron_routers.gw_port_id')
    .select('neutron_routers.project_id').where('neutron_ports.network_id', '=', networkId);
  let fips = db.selectFrom('neutron_floatingips').select('project_id').where('floating_network_id', '=', networkId);
  if (project !== WILDCARD) {
    routers = routers.where('neutron_routers.project_id', '=', project);
    fips = fips.where('project_id', '=', project);
  }
  const users = [...await routers.execute(), ...await fips.execute()];
  return users.some((u) => !remaining.has(u.project_id));
}

export class RbacPolicyStore {
  constructor(private readonly db: Kysely<NetworkTables>) {}

  private scoped(scope: Scope) {
    let q = this.db.selectFrom('neutron_rbac_policies').selectAll();
    if (!scope.isAdmin) q = q.where('project_id', '=', scope.projectId);
    return q;
  }

  async getRow(scope: Scope, id: string): Promise<RbacPolicyRow> {
    const row = await this.scoped(scope).where('id', '=', id).executeTakeFirst();
    if (!row) throw rbacPolicyNotFound(id);
    return row;
  }

  get(scope: Scope, id: string): Promise<RbacPolicyRow> {
    return this.getRow(scope, id);
  }

  async list(scope: Scope, req: ListRequest): Promise<{ records: RbacPolicyRow[]; hasMore: boolean }> {
    const s = scope.isAdmin ? null : (eb: any) => eb('neutron_rbac_policies.project_id', '=', scope.projectId);
    const { rows, hasMore } = await listRows<RbacPolicyRow>(this.db, RBAC_POLICY_LISTING, req, s, (id) => rbacPolicyNotFound(id));
    return { records: rows, hasMore };
  }

  /** Only the network's owner (or an admin) grants access to it, as Neutron checks before create. */
  async create(scope: Scope, input: RbacPolicyCreate): Promise<RbacPolicyRow> {
    return this.db.transaction().execute(async (trx) => {
      const network = await trx.selectFrom('neutron_networks').selectAll().where('id', '=', input.object_id).executeTakeFirst();
      if (!network) throw networkNotFound(input.object_id);
      if (!scope.isAdmin && network.project_id !== scope.projectId) {
        throw invalidInput('Only admins can manipulate policies on networks they do not own');
      }
      const row: RbacPolicyRow = { id: randomUUID(), ...input, created_at: nowIso() };
      try {
        await trx.insertInto('neutron_rbac_policies').values(row).execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw duplicateRbacPolicy();
        throw err;
      }
      await syncNetworkFlags(trx, network.id);
      return row;
    });
  }

  /** Retargets a grant; the project losing it must not depend on it. */
  async update(current: RbacPolicyRow, targetProject: string): Promise<RbacPolicyRow> {
    return this.db.transaction().execute(async (trx) => {
      if (targetProject !== current.target_project) await this.checkDroppable(trx, current);
      try {
        await trx.updateTable('neutron_rbac_policies').set({ target_project: targetProject }).where('id', '=', current.id).execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw duplicateRbacPolicy();
        throw err;
      }
      await syncNetworkFlags(trx, current.object_id);
      return { ...current, target_project: targetProject };
    });
  }

  async delete(current: RbacPolicyRow): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.checkDroppable(trx, current);
      await trx.deleteFrom('neutron_rbac_policies').where('id', '=', current.id).execute();
      await syncNetworkFlags(trx, current.object_id);
    });
  }

  private async checkDroppable(db: Db, grant: RbacPolicyRow): Promise<void> {
    const network = await db.selectFrom('neutron_networks').selectAll().where('id', '=', grant.object_id).executeTakeFirst();
    if (!network) return;
    if (grant.action === 'access_as_shared') {
      if (await projectsLosingAccess(db, network, grant)) {
        throw rbacPolicyInUse(grant.object_id, `Unable to reconfigure sharing settings for network ${grant.object_id}. Multiple tenants are using it.`);
      }
      return;
    }
    const others = await db.selectFrom('neutron_rbac_policies').select('target_project')
      .where('object_type', '=', 'network').where('object_id', '=', network.id)
      .where('action', '=', 'access_as_external').where('id', '!=', grant.id).execute();
    const remaining = new Set([network.project_id, ...others.map((o) => o.target_project)]);
    if (await externalUseBy(db, network.id, grant.target_project, remaining)) {
      throw rbacPolicyInUse(grant.object_id, `Network ${grant.object_id} is used by routers or floating IPs of projects that would lose access.`);
    }
  }
}
