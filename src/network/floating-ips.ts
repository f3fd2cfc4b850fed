/**
 * Floating IPs (Neutron's router extension): an address on an external
 * network, held by a network:floatingip port of its own, and NATed by a
 * router to a port's fixed address. Association needs a router with a
 * gateway on the floating IP's network and an interface on the fixed
 * address's subnet, as in Neutron.
 */
import { randomUUID } from 'node:crypto';
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import { isUniqueViolation, nowIso } from '../db/schema-helpers.js';
import type { FloatingIpRow, NetworkDb, NetworkRow } from './tables.js';
import { listRows, type ListableTable, type ListRequest } from './listing.js';
import {
  badResourceRequest, externalGatewayForFloatingIpNotFound, floatingIpNotFound, floatingIpPortAlreadyAssociated, networkNotFound,
} from './errors.js';
import { tagsFor } from './tags.js';
import { deletePortRows, type PortStore } from './ports.js';
import type { RouterStore } from './routers.js';
import type { AllocatedIp, FixedIpRequest } from './ipam.js';
import { ADMIN_SCOPE, type Scope } from './model.js';

export const FLOATINGIP_OWNER = 'network:floatingip';

export const FLOATINGIP_LISTING: ListableTable = {
  table: 'neutron_floatingips',
  taggable: true,
  attrs: {
    id: { column: 'id', kind: 'string' },
    description: { column: 'description', kind: 'string' },
    project_id: { column: 'project_id', kind: 'string' },
    tenant_id: { column: 'project_id', kind: 'string' },
    floating_network_id: { column: 'floating_network_id', kind: 'string' },
    floating_ip_address: { column: 'floating_ip_address', kind: 'string' },
    fixed_ip_address: { column: 'fixed_ip_address', kind: 'string' },
    port_id: { column: 'fixed_port_id', kind: 'string' },
    router_id: { column: 'router_id', kind: 'string' },
    status: { column: 'status', kind: 'string' },
    revision_number: { column: 'revision_number', kind: 'int' },
    created_at: { column: 'created_at', kind: 'string' },
    updated_at: { column: 'updated_at', kind: 'string' },
  },
};

export interface FloatingIpCreate {
  project_id: string;
  description: string;
  floating_network_id: string;
  subnet_id?: string;
  floating_ip_address?: string;
  port_id?: string | null;
  fixed_ip_address?: string;
}

/** port_id: undefined leaves the association as it is, null removes it. */
export interface FloatingIpUpdate {
  description?: string;
  port_id?: string | null;
  fixed_ip_address?: string;
}

export interface FloatingIpRecord { fip: FloatingIpRow; tags: string[] }

interface Association { fixed_port_id: string | null; fixed_ip_address: string | null; router_id: string | null; status: string }

const NONE: Association = { fixed_port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN' };

const badFip = (msg: string) => badResourceRequest('floatingip', msg);

function fipScope(scope: Scope): ((eb: ExpressionBuilder<any, any>) => Expression<SqlBool>) | null {
  if (scope.isAdmin) return null;
  return (eb) => eb('neutron_floatingips.project_id', '=', scope.projectId);
}

/** Told the ports whose floating IPs an operation changed (Neutron's nova notifier listens, as their servers' addresses changed). */
export type FloatingIpPortsListener = (portIds: string[]) => void;

export class FloatingIpStore {
  private readonly listeners: FloatingIpPortsListener[] = [];

  constructor(private readonly db: NetworkDb, private readonly ports: PortStore, private readonly routers: RouterStore) {}

  onPortsChanged(listener: FloatingIpPortsListener): void {
    this.listeners.push(listener);
  }

  private portsChanged(...ids: Array<string | null>): void {
    const portIds = [...new Set(ids.filter((id): id is string => id !== null))];
    if (portIds.length > 0) for (const l of this.listeners) l(portIds);
  }

  async getRow(scope: Scope, id: string): Promise<FloatingIpRow> {
    let q = this.db.selectFrom('neutron_floatingips').selectAll().where('id', '=', id);
    const s = fipScope(scope);
    if (s) q = q.where(s);
    const row = await q.executeTakeFirst();
    if (!row) throw floatingIpNotFound(id);
    return row;
  }

  async get(scope: Scope, id: string): Promise<FloatingIpRecord> {
    const [rec] = await this.records([await this.getRow(scope, id)]);
    return rec!;
  }

  async list(scope: Scope, req: ListRequest): Promise<{ records: FloatingIpRecord[]; hasMore: boolean }> {
    const { rows, hasMore } = await listRows<FloatingIpRow>(this.db, FLOATINGIP_LISTING, req, fipScope(scope), floatingIpNotFound);
    return { records: await this.records(rows), hasMore };
  }

  async records(rows: FloatingIpRow[]): Promise<FloatingIpRecord[]> {
    const tags = await tagsFor(this.db, rows.map((r) => r.id));
    return rows.map((fip) => ({ fip, tags: tags.get(fip.id) ?? [] }));
  }

  /** The address's port first; an association that fails takes it back. */
  async create(scope: Scope, input: FloatingIpCreate): Promise<FloatingIpRecord> {
    const network = await this.externalNetwork(scope, input.floating_network_id);
    if (input.fixed_ip_address !== undefined && !input.port_id) {
      throw badFip('fixed_ip_address cannot be specified without a port_id');
    }
    const id = randomUUID();
    const fixed: FixedIpRequest = {
      ...(input.subnet_id !== undefined ? { subnet_id: input.subnet_id } : {}),
      ...(input.floating_ip_address !== undefined ? { ip_address: input.floating_ip_address } : {}),
    };
    const [port] = await this.ports.create([{
      project_id: '', network_id: network.id, name: '', description: '', admin_state_up: true,
      fixed_ips: Object.keys(fixed).length > 0 ? [fixed] : undefined, device_id: id, device_owner: FLOATINGIP_OWNER,
      binding_host_id: '', binding_vnic_type: 'normal', binding_profile: {}, port_security_enabled: false,
    }]);
    try {
      const address = port!.fixedIps[0]?.ip_address;
      if (address === undefined) throw badFip(`Network ${network.id} does not contain any IPv4 subnet`);
      const base = { id, project_id: input.project_id, floating_network_id: network.id, floating_ip_address: address };
      const assoc = input.port_id ? await this.association(scope, base, null, input.port_id, input.fixed_ip_address) : NONE;
      const now = nowIso();
      const row: FloatingIpRow = {
        ...base, ...assoc, description: input.description, floating_port_id: port!.port.id,
        revision_number: 1, created_at: now, updated_at: now,
      };
      await this.uniquely(base, assoc, () => this.db.insertInto('neutron_floatingips').values(row).execute());
      this.portsChanged(row.fixed_port_id);
      return { fip: row, tags: [] };
    } catch (err) {
      await this.ports.delete(port!.port.id);
      throw err;
    }
  }

  async update(scope: Scope, current: FloatingIpRow, patch: FloatingIpUpdate): Promise<FloatingIpRecord> {
    const values: Partial<FloatingIpRow> = {};
    if (patch.description !== undefined) values.description = patch.description;
    if (patch.fixed_ip_address !== undefined && !patch.port_id) {
      throw badFip('fixed_ip_address cannot be specified without a port_id');
    }
    let assoc: Association | undefined;
    if (patch.port_id === null) assoc = NONE;
    else if (patch.port_id !== undefined) {
      assoc = await this.association(scope, current, current.fixed_port_id, patch.port_id, patch.fixed_ip_address);
    }
    await this.uniquely(current, assoc ?? NONE, () => this.db.updateTable('neutron_floatingips')
      .set({ ...values, ...(assoc ?? {}), updated_at: nowIso(), revision_number: current.revision_number + 1 })
      .where('id', '=', current.id).execute());
    if (assoc) this.portsChanged(current.fixed_port_id, assoc.fixed_port_id);
    return this.get(ADMIN_SCOPE, current.id);
  }

  async delete(current: FloatingIpRow): Promise<void> {
    const freed = await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('neutron_tags').where('resource_id', '=', current.id).execute();
      const r = await trx.deleteFrom('neutron_floatingips').where('id', '=', current.id).executeTakeFirst();
      if (Number(r.numDeletedRows) === 0) throw floatingIpNotFound(current.id);
      return (await deletePortRows(trx, [current.floating_port_id])).ips;
    });
    this.ports.released(freed);
    this.portsChanged(current.fixed_port_id);
  }

  /** The network a floating IP may be made on: visible to the caller (external networks are to everyone) and external. */
  private async externalNetwork(scope: Scope, id: string): Promise<NetworkRow> {
    const network = await this.db.selectFrom('neutron_networks').selectAll().where('id', '=', id).executeTakeFirst();
    const visible = network && (scope.isAdmin || network.router_external === 1 || network.shared === 1 || network.project_id === scope.projectId);
    if (!network || !visible) throw networkNotFound(id);
    if (network.router_external !== 1) throw badFip(`Network ${id} is not a valid external network`);
    return network;
  }

  /** Neutron's association checks, in its order and wording; `currentPortId` is the port the floating IP has now. */
  private async association(
    scope: Scope, fip: Pick<FloatingIpRow, 'id' | 'project_id' | 'floating_network_id' | 'floating_ip_address'>,
    currentPortId: string | null, portId: string, fixedIp: string | undefined,
  ): Promise<Association> {
    const port = await this.ports.getRow(scope, portId);
    if (port.project_id !== fip.project_id && !scope.isAdmin) {
      throw badFip(`Cannot process floating IP association with Port ${portId}, since that port is owned by a different tenant`);
    }
    if (port.device_owner.startsWith('network:')) throw badFip(`Port ${portId} is unable to be assigned a floating IP`);
    const [rec] = await this.ports.records([port]);
    const ips = rec!.fixedIps;
    let chosen: AllocatedIp | undefined = ips[0];
    if (fixedIp !== undefined) {
      chosen = ips.find((ip) => ip.ip_address === fixedIp);
      if (!chosen) throw badFip(`Port ${portId} does not have fixed ip ${fixedIp}`);
    } else {
      if (ips.length === 0) throw badFip(`Cannot add floating IP to port ${portId} that has no fixed IPv4 addresses`);
      if (ips.length > 1) {
        throw badFip(`Port ${portId} has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP`);
      }
    }
    const subnet = await this.db.selectFrom('neutron_subnets').selectAll().where('id', '=', chosen!.subnet_id).executeTakeFirstOrThrow();
    const routerId = await this.routers.routerForFloatingIp(port.network_id, subnet, fip.floating_network_id);
    if (routerId === undefined) throw externalGatewayForFloatingIpNotFound(fip.floating_network_id, subnet.id, portId);
    if (portId !== currentPortId) {
      const taken = await this.db.selectFrom('neutron_floatingips').select('id')
        .where('fixed_port_id', '=', portId).where('floating_network_id', '=', fip.floating_network_id)
        .where('fixed_ip_address', '=', chosen!.ip_address).where('id', '!=', fip.id).executeTakeFirst();
      if (taken) throw floatingIpPortAlreadyAssociated(fip, portId, chosen!.ip_address);
    }
    return { fixed_port_id: portId, fixed_ip_address: chosen!.ip_address, router_id: routerId, status: 'ACTIVE' };
  }

  /** Two associations racing for one fixed address: the database's unique constraint decides, with Neutron's 409. */
  private async uniquely(
    fip: Pick<FloatingIpRow, 'id' | 'floating_network_id' | 'floating_ip_address'>, assoc: Association, write: () => Promise<unknown>,
  ): Promise<void> {
    try {
      await write();
    } catch (err) {
      if (isUniqueViolation(err) && assoc.fixed_port_id !== null) {
        throw floatingIpPortAlreadyAssociated(fip, assoc.fixed_port_id, assoc.fixed_ip_address!);
      }
      throw err;
    }
  }
}
