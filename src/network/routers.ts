/**
 * Routers (Neutron's router and ext-gw-mode extensions): a gateway port on an
 * external network, and interface ports holding the gateway address of the
 * subnets they route. Both kinds are ordinary ports whose device_id is the
 * router, so IPAM's constraints keep their addresses unique.
 */
import { randomUUID } from 'node:crypto';
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import { nowIso } from '../db/schema-helpers.js';
import type { NetworkDb, PortRow, RouterRow, SubnetRow } from './tables.js';
import { listRows, type ListableTable, type ListRequest } from './listing.js';
import {
  badResourceRequest, networkNotFound, portInUse, routerGatewayInUseByFloatingIp, routerInterfaceInUseByFloatingIp,
  routerInterfaceNotFound, routerInterfaceNotFoundForSubnet, routerInUse, routerNotFound,
} from './errors.js';
import { cidrContains, cidrsOverlap, parseIpv4 } from './ipv4.js';
import { subnetCidr, type AllocatedIp, type FixedIpRequest } from './ipam.js';
import { tagsFor } from './tags.js';
import { deletePortRows, type PortStore } from './ports.js';
import type { SubnetStore } from './subnets.js';
import type { KeyedMutex } from './keyed-mutex.js';
import { ADMIN_SCOPE, type Scope } from './model.js';

export const ROUTER_INTERFACE = 'network:router_interface';
export const ROUTER_GATEWAY = 'network:router_gateway';

export const ROUTER_LISTING: ListableTable = {
  table: 'neutron_routers',
  taggable: true,
  attrs: {
    id: { column: 'id', kind: 'string' },
    name: { column: 'name', kind: 'string' },
    description: { column: 'description', kind: 'string' },
    project_id: { column: 'project_id', kind: 'string' },
    tenant_id: { column: 'project_id', kind: 'string' },
    status: { column: 'status', kind: 'string' },
    admin_state_up: { column: 'admin_state_up', kind: 'bool' },
    revision_number: { column: 'revision_number', kind: 'int' },
    created_at: { column: 'created_at', kind: 'string' },
    updated_at: { column: 'updated_at', kind: 'string' },
  },
};

export interface GatewayRequest {
  network_id: string;
  /** undefined: Neutron's enable_snat_by_default (true). */
  enable_snat?: boolean;
  /** undefined: one address from the external network's first subnet with room. */
  external_fixed_ips?: FixedIpRequest[];
}

export interface RouterCreate {
  project_id: string;
  name: string;
  description: string;
  admin_state_up: boolean;
  external_gateway_info?: GatewayRequest | null;
}

export type RouterUpdate = Partial<Omit<RouterCreate, 'project_id'>>;

export interface RouterGateway { network_id: string; enable_snat: boolean; external_fixed_ips: AllocatedIp[] }

export interface RouterRecord { router: RouterRow; gateway: RouterGateway | null; tags: string[] }

/** What add_router_interface and remove_router_interface answer. */
export interface RouterInterfaceInfo {
  id: string;
  tenant_id: string;
  project_id: string;
  port_id: string;
  network_id: string;
  subnet_id: string;
  subnet_ids: string[];
}

export type InterfaceRequest = { subnet_id: string; port_id?: undefined } | { port_id: string; subnet_id?: undefined };

function routerScope(scope: Scope): ((eb: ExpressionBuilder<any, any>) => Expression<SqlBool>) | null {
  if (scope.isAdmin) return null;
  return (eb) => eb('neutron_routers.project_id', '=', scope.projectId);
}

const badRouter = (msg: string) => badResourceRequest('router', msg);

export class RouterStore {
  constructor(
    private readonly db: NetworkDb, private readonly ports: PortStore, private readonly subnets: SubnetStore,
    private readonly locks: KeyedMutex,
  ) {}

  async getRow(scope: Scope, id: string): Promise<RouterRow> {
    let q = this.db.selectFrom('neutron_routers').selectAll().where('id', '=', id);
    const s = routerScope(scope);
    if (s) q = q.where(s);
    const row = await q.executeTakeFirst();
    if (!row) throw routerNotFound(id);
    return row;
  }

  async get(scope: Scope, id: string): Promise<RouterRecord> {
    const [rec] = await this.records([await this.getRow(scope, id)]);
    return rec!;
  }

  async list(scope: Scope, req: ListRequest): Promise<{ records: RouterRecord[]; hasMore: boolean }> {
    const { rows, hasMore } = await listRows<RouterRow>(this.db, ROUTER_LISTING, req, routerScope(scope), routerNotFound);
    return { records: await this.records(rows), hasMore };
  }

  async records(rows: RouterRow[]): Promise<RouterRecord[]> {
    const gwIds = rows.map((r) => r.gw_port_id).filter((id): id is string => id !== null);
    const gwPorts = new Map((await this.ports.records(gwIds.length === 0 ? [] : await this.db.selectFrom('neutron_ports').selectAll()
      .where('id', 'in', gwIds).execute())).map((p) => [p.port.id, p]));
    const tags = await tagsFor(this.db, rows.map((r) => r.id));
    return rows.map((router) => {
      const gw = router.gw_port_id === null ? undefined : gwPorts.get(router.gw_port_id);
      return {
        router,
        gateway: gw ? { network_id: gw.port.network_id, enable_snat: router.enable_snat === 1, external_fixed_ips: gw.fixedIps } : null,
        tags: tags.get(router.id) ?? [],
      };
    });
  }

  /** The router, then its gateway; a gateway that cannot be made takes the router with it. */
  async create(input: RouterCreate): Promise<RouterRecord> {
    const now = nowIso();
    const row: RouterRow = {
      id: randomUUID(), project_id: input.project_id, name: input.name, description: input.description, status: 'ACTIVE',
      admin_state_up: input.admin_state_up ? 1 : 0, gw_port_id: null, enable_snat: 1, revision_number: 1, created_at: now, updated_at: now,
    };
    await this.db.insertInto('neutron_routers').values(row).execute();
    if (input.external_gateway_info) {
      try {
        await this.locks.run([`router:${row.id}`], () => this.setGateway(row, input.external_gateway_info!));
      } catch (err) {
        await this.db.deleteFrom('neutron_routers').where('id', '=', row.id).execute();
        throw err;
      }
    }
    return this.get(ADMIN_SCOPE, row.id);
  }

  async update(current: RouterRow, patch: RouterUpdate): Promise<RouterRecord> {
    if (patch.external_gateway_info !== undefined) {
      await this.locks.run([`router:${current.id}`], async () => {
        const fresh = await this.getRow(ADMIN_SCOPE, current.id);
        if (patch.external_gateway_info) await this.setGateway(fresh, patch.external_gateway_info);
        else await this.clearGateway(fresh);
      });
    }
    const values: Partial<RouterRow> = {};
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.description !== undefined) values.description = patch.description;
    if (patch.admin_state_up !== undefined) values.admin_state_up = patch.admin_state_up ? 1 : 0;
    const fresh = await this.getRow(ADMIN_SCOPE, current.id);
    await this.db.updateTable('neutron_routers').set({ ...values, updated_at: nowIso(), revision_number: fresh.revision_number + 1 })
      .where('id', '=', current.id).execute();
    return this.get(ADMIN_SCOPE, current.id);
  }

  /** Refuses while interfaces remain (RouterInUse); the gateway port goes with the router. */
  async delete(current: RouterRow): Promise<void> {
    const freed = await this.locks.run([`router:${current.id}`], () => this.db.transaction().execute(async (trx) => {
      const iface = await trx.selectFrom('neutron_ports').select('id')
        .where('device_id', '=', current.id).where('device_owner', '=', ROUTER_INTERFACE).limit(1).executeTakeFirst();
      if (iface) throw routerInUse(current.id);
      const row = await trx.selectFrom('neutron_routers').select('gw_port_id').where('id', '=', current.id).executeTakeFirst();
      if (!row) throw routerNotFound(current.id);
      await trx.updateTable('neutron_floatingips').set({ router_id: null }).where('router_id', '=', current.id).execute();
      await trx.deleteFrom('neutron_tags').where('resource_id', '=', current.id).execute();
      await trx.deleteFrom('neutron_routers').where('id', '=', current.id).execute();
      return (await deletePortRows(trx, row.gw_port_id === null ? [] : [row.gw_port_id])).ips;
    }));
    this.ports.released(freed);
  }

  /**
   * Point the gateway at `req.network_id`: the same network keeps its port
   * (new addresses only when external_fixed_ips says so), another network
   * gets a new port and the old one goes. The caller holds the router's lock.
   */
  private async setGateway(router: RouterRow, req: GatewayRequest): Promise<void> {
    const network = await this.db.selectFrom('neutron_networks').selectAll().where('id', '=', req.network_id).executeTakeFirst();
    if (!network) throw networkNotFound(req.network_id);
    if (network.router_external !== 1) throw badRouter(`Network ${req.network_id} is not an external network`);
    const snat = req.enable_snat === undefined ? 1 : req.enable_snat ? 1 : 0;
    const current = router.gw_port_id === null ? undefined
      : await this.db.selectFrom('neutron_ports').selectAll().where('id', '=', router.gw_port_id).executeTakeFirst();
    if (current && current.network_id === req.network_id) {
      if (req.external_fixed_ips !== undefined) {
        await this.checkGatewaySubnets(router, req.network_id);
        await this.ports.update(current, { fixed_ips: req.external_fixed_ips });
      }
      await this.db.updateTable('neutron_routers').set({ enable_snat: snat }).where('id', '=', router.id).execute();
      return;
    }
    if (current) await this.assertGatewayUnused(router, current.network_id);
    await this.checkGatewaySubnets(router, req.network_id);
    const [port] = await this.ports.create([{
      project_id: '', network_id: req.network_id, name: '', description: '', admin_state_up: true,
      fixed_ips: req.external_fixed_ips, device_id: router.id, device_owner: ROUTER_GATEWAY,
      binding_host_id: '', binding_vnic_type: 'normal', binding_profile: {}, port_security_enabled: false,
    }]);
    try {
      await this.db.updateTable('neutron_routers').set({ gw_port_id: port!.port.id, enable_snat: snat }).where('id', '=', router.id).execute();
    } catch (err) {
      await this.ports.delete(port!.port.id);
      throw err;
    }
    if (current) await this.ports.delete(current.id);
  }

  private async clearGateway(router: RouterRow): Promise<void> {
    if (router.gw_port_id === null) return;
    const port = await this.db.selectFrom('neutron_ports').select(['id', 'network_id']).where('id', '=', router.gw_port_id).executeTakeFirst();
    if (port) await this.assertGatewayUnused(router, port.network_id);
    await this.db.updateTable('neutron_routers').set({ gw_port_id: null, enable_snat: 1 }).where('id', '=', router.id).execute();
    if (port) await this.ports.delete(port.id);
  }

  /** Floating IPs NATed by this router need its gateway on their network. */
  private async assertGatewayUnused(router: RouterRow, networkId: string): Promise<void> {
    const fip = await this.db.selectFrom('neutron_floatingips').select('id')
      .where('router_id', '=', router.id).where('floating_network_id', '=', networkId).limit(1).executeTakeFirst();
    if (fip) throw routerGatewayInUseByFloatingIp(router.id, networkId);
  }

  /** An external subnet may not overlap a subnet the router already routes. */
  private async checkGatewaySubnets(router: RouterRow, networkId: string): Promise<void> {
    const external = await this.subnets.forNetwork(networkId);
    await this.checkNoDuplicateSubnets(router, external, { excludeGateway: true });
  }

  /** The subnets the router is attached to: its interfaces' and its gateway network's. */
  private async attachedSubnets(router: RouterRow, opts: { excludeGateway?: boolean } = {}): Promise<SubnetRow[]> {
    const ifaceSubnets = await this.db.selectFrom('neutron_ip_allocations')
      .innerJoin('neutron_ports', 'neutron_ports.id', 'neutron_ip_allocations.port_id')
      .select('neutron_ip_allocations.subnet_id')
      .where('neutron_ports.device_id', '=', router.id).where('neutron_ports.device_owner', '=', ROUTER_INTERFACE).execute();
    const ids = ifaceSubnets.map((r) => r.subnet_id);
    let rows = ids.length === 0 ? [] : await this.db.selectFrom('neutron_subnets').selectAll().where('id', 'in', ids).execute();
    if (!opts.excludeGateway && router.gw_port_id !== null) {
      const gw = await this.db.selectFrom('neutron_ports').select('network_id').where('id', '=', router.gw_port_id).executeTakeFirst();
      if (gw) rows = [...rows, ...(await this.subnets.forNetwork(gw.network_id))];
    }
    return rows;
  }

  /** Neutron's _check_for_dup_router_subnets, with its wording. */
  private async checkNoDuplicateSubnets(router: RouterRow, added: readonly SubnetRow[], opts: { excludeGateway?: boolean } = {}): Promise<void> {
    const attached = await this.attachedSubnets(router, opts);
    for (const s of added) {
      if (attached.some((a) => a.id === s.id)) throw badRouter(`Router already has a port on subnet ${s.id}`);
    }
    for (const a of attached) {
      for (const s of added) {
        if (cidrsOverlap(subnetCidr(a), subnetCidr(s))) {
          throw badRouter(`Cidr ${s.cidr} of subnet ${s.id} overlaps with cidr ${a.cidr} of subnet ${a.id}`);
        }
      }
    }
  }

  /**
   * add_router_interface: by subnet, a new port holding the subnet's gateway
   * address; by port, the caller's port becomes the interface. `scope` is the
   * caller's view (what it names must be visible to it).
   */
  async addInterface(scope: Scope, router: RouterRow, req: InterfaceRequest): Promise<RouterInterfaceInfo> {
    return this.locks.run([`router:${router.id}`], async () => {
      if (req.subnet_id !== undefined) {
        const subnet = await this.subnets.getRow(scope, req.subnet_id);
        if (subnet.gateway_ip === null) throw badRouter('Subnet for router interface must have a gateway IP');
        if (!scope.isAdmin && subnet.project_id !== scope.projectId) {
          throw badRouter(`Cannot add interface to router because subnet ${subnet.id} is not owned by project making the request`);
        }
        await this.checkNoDuplicateSubnets(router, [subnet]);
        const [port] = await this.ports.create([{
          project_id: router.project_id, network_id: subnet.network_id, name: '', description: '', admin_state_up: true,
          fixed_ips: [{ subnet_id: subnet.id, ip_address: subnet.gateway_ip }], device_id: router.id, device_owner: ROUTER_INTERFACE,
          binding_host_id: '', binding_vnic_type: 'normal', binding_profile: {}, port_security_enabled: false,
        }]);
        await this.touch(router.id);
        return interfaceInfo(router, port!.port, [subnet.id]);
      }
      const port = await this.ports.getRow(scope, req.port_id);
      if (port.device_id !== '') throw portInUse(port.id, port.network_id, port.device_id);
      const [rec] = await this.ports.records([port]);
      if (rec!.fixedIps.length === 0) throw badRouter('Router port must have at least one fixed IP');
      const subnetIds = [...new Set(rec!.fixedIps.map((ip) => ip.subnet_id))];
      const subnets = await this.db.selectFrom('neutron_subnets').selectAll().where('id', 'in', subnetIds).execute();
      await this.checkNoDuplicateSubnets(router, subnets);
      if (subnets.filter((s) => s.ip_version === 4).length > 1) throw badRouter('Cannot have multiple IPv4 subnets on router port');
      const r = await this.db.updateTable('neutron_ports')
        .set({ device_id: router.id, device_owner: ROUTER_INTERFACE, updated_at: nowIso(), revision_number: port.revision_number + 1 })
        .where('id', '=', port.id).where('device_id', '=', '').executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw portInUse(port.id, port.network_id, '');
      await this.touch(router.id);
      return interfaceInfo(router, port, subnetIds);
    });
  }

  /** remove_router_interface: the interface port goes, unless a floating IP still needs it. */
  async removeInterface(scope: Scope, router: RouterRow, req: { subnet_id?: string; port_id?: string }): Promise<RouterInterfaceInfo> {
    return this.locks.run([`router:${router.id}`], async () => {
      const ifaces = await this.db.selectFrom('neutron_ports').selectAll()
        .where('device_id', '=', router.id).where('device_owner', '=', ROUTER_INTERFACE).execute();
      const recs = await this.ports.records(ifaces);
      let port: PortRow;
      let subnetIds: string[];
      if (req.port_id !== undefined) {
        const rec = recs.find((r) => r.port.id === req.port_id);
        if (!rec) throw routerInterfaceNotFound(router.id, req.port_id);
        subnetIds = rec.fixedIps.map((ip) => ip.subnet_id);
        if (req.subnet_id !== undefined && !subnetIds.includes(req.subnet_id)) {
          throw badResourceRequest('router', `Subnet ${req.subnet_id} could not be found on port ${req.port_id}`);
        }
        port = rec.port;
      } else {
        await this.subnets.getRow(scope, req.subnet_id!);
        const rec = recs.find((r) => r.fixedIps.some((ip) => ip.subnet_id === req.subnet_id));
        if (!rec) throw routerInterfaceNotFoundForSubnet(router.id, req.subnet_id!);
        port = rec.port;
        subnetIds = [req.subnet_id!];
      }
      for (const subnetId of subnetIds) await this.assertInterfaceUnused(router.id, subnetId);
      await this.ports.delete(port.id);
      await this.touch(router.id);
      return interfaceInfo(router, port, subnetIds);
    });
  }

  /** Floating IPs whose fixed address lies in the subnet reach it through this interface. */
  private async assertInterfaceUnused(routerId: string, subnetId: string): Promise<void> {
    const subnet = await this.db.selectFrom('neutron_subnets').selectAll().where('id', '=', subnetId).executeTakeFirst();
    if (!subnet) return;
    const fips = await this.db.selectFrom('neutron_floatingips').select('fixed_ip_address')
      .where('router_id', '=', routerId).where('fixed_ip_address', 'is not', null).execute();
    const cidr = subnetCidr(subnet);
    if (fips.some((f) => cidrContains(cidr, parseIpv4(f.fixed_ip_address) ?? -1))) {
      throw routerInterfaceInUseByFloatingIp(routerId, subnetId);
    }
  }

  private async touch(routerId: string): Promise<void> {
    const row = await this.db.selectFrom('neutron_routers').select('revision_number').where('id', '=', routerId).executeTakeFirst();
    if (!row) return;
    await this.db.updateTable('neutron_routers').set({ revision_number: row.revision_number + 1, updated_at: nowIso() })
      .where('id', '=', routerId).execute();
  }

  /** The router a floating IP on `externalNetworkId` reaches the fixed address through, as Neutron picks it. */
  async routerForFloatingIp(portNetworkId: string, subnet: SubnetRow, externalNetworkId: string): Promise<string | undefined> {
    const rows = await this.db.selectFrom('neutron_ports as iface')
      .innerJoin('neutron_ip_allocations as a', 'a.port_id', 'iface.id')
      .innerJoin('neutron_routers as r', 'r.id', 'iface.device_id')
      .innerJoin('neutron_ports as gw', 'gw.id', 'r.gw_port_id')
      .select(['r.id as router_id', 'a.ip_address as ip_address'])
      .where('iface.network_id', '=', portNetworkId).where('iface.device_owner', '=', ROUTER_INTERFACE)
      .where('a.subnet_id', '=', subnet.id).where('gw.network_id', '=', externalNetworkId)
      .orderBy('r.created_at').orderBy('r.id').execute();
    return (rows.find((r) => r.ip_address === subnet.gateway_ip) ?? rows[0])?.router_id;
  }
}

function interfaceInfo(router: RouterRow, port: PortRow, subnetIds: string[]): RouterInterfaceInfo {
  return {
    id: router.id, tenant_id: port.project_id, project_id: port.project_id, port_id: port.id, network_id: port.network_id,
    subnet_id: subnetIds[subnetIds.length - 1]!, subnet_ids: subnetIds,
  };
}
