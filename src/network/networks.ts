/** Networks: the L2 segments ports attach to. */
import { randomUUID } from 'node:crypto';
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import { nowIso } from '../db/schema-helpers.js';
import type { NetworkDb, NetworkRow } from './tables.js';
import { listRows, type ListableTable, type ListRequest } from './listing.js';
import { isUniqueViolation } from '../db/schema-helpers.js';
import {
  externalNetworkInUse, flatNetworkInUse, invalidInput, invalidSharedSetting, networkInUse, networkNotFound,
} from './errors.js';
import { LOCAL_SEGMENT } from './provider.js';
import { tagsFor } from './tags.js';
import type { NetworkCreate, NetworkRecord, NetworkUpdate, Scope } from './model.js';
import { setWildcardGrant, WILDCARD, type RbacAction } from './rbac-policies.js';

export const NETWORK_LISTING: ListableTable = {
  table: 'neutron_networks',
  taggable: true,
  attrs: {
    id: { column: 'id', kind: 'string' },
    name: { column: 'name', kind: 'string' },
    project_id: { column: 'project_id', kind: 'string' },
    tenant_id: { column: 'project_id', kind: 'string' },
    status: { column: 'status', kind: 'string' },
    admin_state_up: { column: 'admin_state_up', kind: 'bool' },
    shared: { column: 'shared', kind: 'bool' },
    mtu: { column: 'mtu', kind: 'int' },
    description: { column: 'description', kind: 'string' },
    port_security_enabled: { column: 'port_security_enabled', kind: 'bool' },
    'router:external': { column: 'router_external', kind: 'bool' },
    'provider:network_type': { column: 'provider_network_type', kind: 'string' },
    'provider:physical_network': { column: 'provider_physical_network', kind: 'string' },
    'provider:segmentation_id': { column: 'provider_segmentation_id', kind: 'int' },
    revision_number: { column: 'revision_number', kind: 'int' },
    created_at: { column: 'created_at', kind: 'string' },
    updated_at: { column: 'updated_at', kind: 'string' },
  },
};

/** Device owners whose ports the network service manages itself; they never keep a network "in use". */
export const SERVICE_DEVICE_OWNERS = ['network:dhcp'];

export const MIN_MTU = 68;
export const MAX_MTU = 9000;

/** A grant of `action` on the network to the project (or to every project). */
function granted(eb: ExpressionBuilder<any, any>, action: RbacAction, projectId: string): Expression<SqlBool> {
  return eb.exists(eb.selectFrom('neutron_rbac_policies').select('neutron_rbac_policies.id')
    .whereRef('neutron_rbac_policies.object_id', '=', 'neutron_networks.id')
    .where('neutron_rbac_policies.object_type', '=', 'network')
    .where('neutron_rbac_policies.action', '=', action)
    .where('neutron_rbac_policies.target_project', 'in', [projectId, WILDCARD]));
}

/** What a project may boot on and attach ports to: its own networks and those shared with it. */
export function networkScope(scope: Scope): ((eb: ExpressionBuilder<any, any>) => Expression<SqlBool>) | null {
  if (scope.isAdmin) return null;
  return (eb) => eb.or([
    eb('neutron_networks.project_id', '=', scope.projectId),
    eb('neutron_networks.shared', '=', 1),
    granted(eb, 'access_as_shared', scope.projectId),
  ]);
}

/** What a project may see: also the external networks offered to it for gateways and floating IPs. */
export function visibleNetworkScope(scope: Scope): ((eb: ExpressionBuilder<any, any>) => Expression<SqlBool>) | null {
  if (scope.isAdmin) return null;
  return (eb) => eb.or([
    eb('neutron_networks.project_id', '=', scope.projectId),
    eb('neutron_networks.shared', '=', 1),
    granted(eb, 'access_as_shared', scope.projectId),
    granted(eb, 'access_as_external', scope.projectId),
  ]);
}

function checkMtu(mtu: number | undefined): void {
  if (mtu !== undefined && (mtu < MIN_MTU || mtu > MAX_MTU)) {
    throw invalidInput(`Requested MTU is too big, maximum is ${MAX_MTU}`);
  }
}

export class NetworkStore {
  constructor(private readonly db: NetworkDb, private readonly defaultMtu: number) {}

  /**
   * The network row when the scope may see it (`attachable`: may put ports
   * on it, which another project's external network does not allow);
   * NetworkNotFound otherwise.
   */
  async getRow(scope: Scope, id: string, opts: { attachable?: boolean } = {}): Promise<NetworkRow> {
    let q = this.db.selectFrom('neutron_networks').selectAll().where('id', '=', id);
    const s = opts.attachable ? networkScope(scope) : visibleNetworkScope(scope);
    if (s) q = q.where(s);
    const row = await q.executeTakeFirst();
    if (!row) throw networkNotFound(id);
    const [seen] = await this.asSeenBy(scope, [row]);
    return seen!;
  }

  /**
   * Rows as the project sees them: a network shared with it by a grant of its
   * own reads `shared: true`, as Neutron computes the attribute per requester.
   */
  private async asSeenBy(scope: Scope, rows: NetworkRow[]): Promise<NetworkRow[]> {
    const candidates = scope.isAdmin ? [] : rows.filter((r) => r.shared === 0 && r.project_id !== scope.projectId).map((r) => r.id);
    if (candidates.length === 0) return rows;
    const grants = await this.db.selectFrom('neutron_rbac_policies').select('object_id')
      .where('object_type', '=', 'network').where('action', '=', 'access_as_shared')
      .where('target_project', '=', scope.projectId).where('object_id', 'in', candidates).execute();
    const shared = new Set(grants.map((g) => g.object_id));
    return rows.map((r) => (shared.has(r.id) ? { ...r, shared: 1 } : r));
  }

  async get(scope: Scope, id: string): Promise<NetworkRecord> {
    const [rec] = await this.records([await this.getRow(scope, id)]);
    return rec!;
  }

  async list(scope: Scope, req: ListRequest): Promise<{ records: NetworkRecord[]; hasMore: boolean }> {
    const { rows, hasMore } = await listRows<NetworkRow>(this.db, NETWORK_LISTING, req, visibleNetworkScope(scope), networkNotFound);
    return { records: await this.records(await this.asSeenBy(scope, rows)), hasMore };
  }

  /** Subnet ids and tags for many networks in two queries. */
  async records(rows: NetworkRow[]): Promise<NetworkRecord[]> {
    const ids = rows.map((r) => r.id);
    const subnets = ids.length === 0 ? [] : await this.db.selectFrom('neutron_subnets').select(['id', 'network_id'])
      .where('network_id', 'in', ids).orderBy('created_at').orderBy('id').execute();
    const tags = await tagsFor(this.db, ids);
    return rows.map((network) => ({
      network,
      subnetIds: subnets.filter((s) => s.network_id === network.id).map((s) => s.id),
      tags: tags.get(network.id) ?? [],
    }));
  }

  /** All or nothing, as Neutron's bulk create. */
  async create(inputs: NetworkCreate[], opts: { id?: string } = {}): Promise<NetworkRecord[]> {
    for (const input of inputs) checkMtu(input.mtu);
    const now = nowIso();
    const rows: NetworkRow[] = inputs.map((input) => ({
      id: inputs.length === 1 && opts.id ? opts.id : randomUUID(),
      project_id: input.project_id,
      name: input.name,
      description: input.description,
      status: 'ACTIVE',
      admin_state_up: input.admin_state_up ? 1 : 0,
      shared: input.shared ? 1 : 0,
      mtu: input.mtu ?? this.defaultMtu,
      port_security_enabled: input.port_security_enabled ? 1 : 0,
      router_external: input.router_external ? 1 : 0,
      provider_network_type: (input.provider ?? LOCAL_SEGMENT).network_type,
      provider_physical_network: (input.provider ?? LOCAL_SEGMENT).physical_network,
      provider_segmentation_id: (input.provider ?? LOCAL_SEGMENT).segmentation_id,
      revision_number: 1,
      created_at: now,
      updated_at: now,
    }));
    const flat = rows.filter((r) => r.provider_network_type === 'flat');
    const flatNets = flat.map((r) => r.provider_physical_network!);
    const twice = flatNets.find((p, i) => flatNets.indexOf(p) !== i);
    if (twice !== undefined) throw flatNetworkInUse(twice);
    if (rows.length > 0) {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('neutron_networks').values(rows).execute();
        for (const r of rows) {
          if (r.shared === 1) await setWildcardGrant(trx, r, 'access_as_shared', true);
          if (r.router_external === 1) await setWildcardGrant(trx, r, 'access_as_external', true);
        }
        for (const r of flat) {
          const physnet = r.provider_physical_network!;
          try {
            await trx.insertInto('neutron_flat_allocations').values({ physical_network: physnet, network_id: r.id }).execute();
          } catch (err) {
            if (isUniqueViolation(err)) throw flatNetworkInUse(physnet);
            throw err;
          }
        }
      });
    }
    return rows.map((network) => ({ network, subnetIds: [], tags: [] }));
  }

  async update(current: NetworkRow, patch: NetworkUpdate): Promise<NetworkRecord> {
    checkMtu(patch.mtu);
    if (patch.shared === false && current.shared === 1) {
      // Other projects' ports on the network would lose access to it, unless a grant of their own remains.
      const foreign = await this.db.selectFrom('neutron_ports').select('id')
        .where('network_id', '=', current.id).where('project_id', '!=', current.project_id)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('neutron_rbac_policies').select('neutron_rbac_policies.id')
          .where('neutron_rbac_policies.object_id', '=', current.id).where('neutron_rbac_policies.action', '=', 'access_as_shared')
          .whereRef('neutron_rbac_policies.target_project', '=', 'neutron_ports.project_id'))))
        .limit(1).executeTakeFirst();
      if (foreign) throw invalidSharedSetting(current.id);
    }
    if (patch.router_external === false && current.router_external === 1) {
      const gateway = await this.db.selectFrom('neutron_ports').select('id')
        .where('network_id', '=', current.id).where('device_owner', 'in', ['network:router_gateway', 'network:floatingip'])
        .limit(1).executeTakeFirst();
      if (gateway) throw externalNetworkInUse(current.id);
    }
    const values: Partial<NetworkRow> = {};
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.description !== undefined) values.description = patch.description;
    if (patch.admin_state_up !== undefined) values.admin_state_up = patch.admin_state_up ? 1 : 0;
    if (patch.shared !== undefined) values.shared = patch.shared ? 1 : 0;
    if (patch.mtu !== undefined) values.mtu = patch.mtu;
    if (patch.port_security_enabled !== undefined) values.port_security_enabled = patch.port_security_enabled ? 1 : 0;
    if (patch.router_external !== undefined) values.router_external = patch.router_external ? 1 : 0;
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('neutron_networks')
        .set({ ...values, updated_at: nowIso(), revision_number: current.revision_number + 1 })
        .where('id', '=', current.id).execute();
      if (patch.shared !== undefined) await setWildcardGrant(trx, current, 'access_as_shared', patch.shared);
      if (patch.router_external !== undefined) await setWildcardGrant(trx, current, 'access_as_external', patch.router_external);
    });
    return this.get({ isAdmin: true, projectId: '' }, current.id);
  }

  /** Removes the network with its subnets and service ports; refuses while other ports remain. */
  async delete(id: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const busy = await trx.selectFrom('neutron_ports').select('id')
        .where('network_id', '=', id).where('device_owner', 'not in', SERVICE_DEVICE_OWNERS).limit(1).executeTakeFirst();
      if (busy) throw networkInUse(id);
      const ports = await trx.selectFrom('neutron_ports').select('id').where('network_id', '=', id).execute();
      const subnets = await trx.selectFrom('neutron_subnets').select('id').where('network_id', '=', id).execute();
      const owned = [id, ...ports.map((p) => p.id), ...subnets.map((s) => s.id)];
      await trx.deleteFrom('neutron_ip_allocations').where('network_id', '=', id).execute();
      if (ports.length > 0) await trx.deleteFrom('neutron_allowed_address_pairs').where('port_id', 'in', ports.map((p) => p.id)).execute();
      await trx.deleteFrom('neutron_ports').where('network_id', '=', id).execute();
      await trx.deleteFrom('neutron_subnets').where('network_id', '=', id).execute();
      await trx.deleteFrom('neutron_tags').where('resource_id', 'in', owned).execute();
      await trx.deleteFrom('neutron_flat_allocations').where('network_id', '=', id).execute();
      await trx.deleteFrom('neutron_rbac_policies').where('object_type', '=', 'network').where('object_id', '=', id).execute();
      const r = await trx.deleteFrom('neutron_networks').where('id', '=', id).executeTakeFirst();
      if (Number(r.numDeletedRows) === 0) throw networkNotFound(id);
    });
  }
}
