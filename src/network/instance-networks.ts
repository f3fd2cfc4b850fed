/**
 * What the compute service asks of the network service for an instance
 * (Nova's nova/network/neutron.py API, in-process): check requested networks
 * at the API, pick the network when none is requested, create and bind ports
 * at build time, and release them at delete.
 *
 * Errors carry Nova's wording and status (Nova turns Neutron's answers into
 * its own faults), since the compute API shows them to the user.
 */
import { BadRequest, Conflict } from '../errors.js';
import type { AuthContext } from '../http/auth.js';
import { nowIso } from '../db/schema-helpers.js';
import type { NetworkDb, NetworkRow } from './tables.js';
import { networkScope } from './networks.js';
import { deletePortRows, portScope, type PortCreateContext, type PortStore } from './ports.js';
import type { SubnetStore } from './subnets.js';
import { cidrContains, parseIpv4, usableRange } from './ipv4.js';
import { subnetCidr } from './ipam.js';
import { buildNetworkInfo, floatingIpsOfPorts, type NetworkInfo, type VifBinding } from './network-info.js';
import { ADMIN_SCOPE, scopeOf, type PortRecord } from './model.js';
import { followParentBinding, portsInTrunks } from './trunk-ports.js';
import type { SecurityGroupStore } from './security-groups.js';

/** One entry of a server create's "networks": a network (optionally with a fixed IP) or a port. */
export interface RequestedNetwork {
  networkId?: string;
  portId?: string;
  fixedIp?: string;
}

export interface AllocateForInstanceRequest {
  instanceUuid: string;
  projectId: string;
  userId: string;
  host: string;
  requested: RequestedNetwork[];
  /** The instance's availability zone; ports get device_owner compute:<az>. */
  availabilityZone?: string;
  /** Security group names for the ports made here; absent or empty: the project's default group. */
  securityGroups?: string[];
}

/** A port as the compute API's os-interface shows it. */
export interface InstancePort {
  id: string;
  network_id: string;
  mac_address: string;
  status: string;
  device_id: string;
  fixed_ips: Array<{ subnet_id: string; ip_address: string }>;
}

function instancePortOf(rec: PortRecord): InstancePort {
  const p = rec.port;
  return { id: p.id, network_id: p.network_id, mac_address: p.mac_address, status: p.status, device_id: p.device_id, fixed_ips: rec.fixedIps.map((ip) => ({ subnet_id: ip.subnet_id, ip_address: ip.ip_address })) };
}

const novaNetworkNotFound = (id: string) => new BadRequest(`Network ${id} could not be found.`);
const novaPortNotFound = (id: string) => new BadRequest(`Port ${id} could not be found.`);
const novaPortInUse = (id: string) => new Conflict(`Port ${id} is still in use.`);

export class InstanceNetworks {
  constructor(
    private readonly db: NetworkDb,
    private readonly subnets: SubnetStore,
    private readonly ports: PortStore,
    private readonly binding: VifBinding,
    private readonly securityGroups: SecurityGroupStore,
  ) {}

  /** Refuse a server create whose networks cannot be satisfied, before anything is built. */
  async validateNetworks(auth: AuthContext, requested: RequestedNetwork[]): Promise<void> {
    const scope = scopeOf(auth);
    const seenPorts = new Set<string>();
    const seenIps = new Set<string>();
    for (const req of requested) {
      if (req.portId !== undefined) {
        if (seenPorts.has(req.portId)) throw novaPortInUse(req.portId);
        seenPorts.add(req.portId);
        let q = this.db.selectFrom('neutron_ports').selectAll().where('id', '=', req.portId);
        const s = portScope(scope);
        if (s) q = q.where(s);
        const port = await q.executeTakeFirst();
        if (!port) throw novaPortNotFound(req.portId);
        if (port.device_id !== '') throw novaPortInUse(req.portId);
        const ip = await this.db.selectFrom('neutron_ip_allocations').select('ip_address')
          .where('port_id', '=', port.id).limit(1).executeTakeFirst();
        if (!ip) throw new BadRequest(`Port ${req.portId} requires a FixedIP in order to be used.`);
        continue;
      }
      if (req.networkId === undefined) throw new BadRequest('A requested network needs a network id or a port id.');
      let q = this.db.selectFrom('neutron_networks').selectAll().where('id', '=', req.networkId);
      const s = networkScope(scope);
      if (s) q = q.where(s);
      const network = await q.executeTakeFirst();
      if (!network) throw novaNetworkNotFound(req.networkId);
      const subnets = await this.subnets.forNetwork(network.id);
      if (subnets.length === 0) throw new BadRequest(`Network ${network.id} requires a subnet in order to boot instances on.`);
      if (req.fixedIp !== undefined) {
        const ip = parseIpv4(req.fixedIp);
        if (ip === null) throw new BadRequest(`Invalid fixed IP address (${req.fixedIp})`);
        if (seenIps.has(req.fixedIp)) throw new BadRequest(`Fixed IP address ${req.fixedIp} is already in use.`);
        seenIps.add(req.fixedIp);
        const subnet = subnets.find((sn) => {
          const usable = usableRange(subnetCidr(sn));
          return cidrContains(subnetCidr(sn), ip) && usable !== null && ip >= usable.first && ip <= usable.last
            && (sn.gateway_ip === null || parseIpv4(sn.gateway_ip) !== ip);
        });
        if (!subnet) throw new BadRequest(`Fixed IP address ${req.fixedIp} is not valid on network ${network.id}.`);
        const holder = await this.db.selectFrom('neutron_ip_allocations')
          .innerJoin('neutron_ports', 'neutron_ports.id', 'neutron_ip_allocations.port_id')
          .select('neutron_ports.device_id')
          .where('neutron_ip_allocations.subnet_id', '=', subnet.id).where('neutron_ip_allocations.ip_int', '=', ip)
          .executeTakeFirst();
        if (holder) {
          throw new BadRequest(holder.device_id !== ''
            ? `Fixed IP address ${req.fixedIp} is already in use on instance ${holder.device_id}.`
            : `Fixed IP address ${req.fixedIp} is already in use.`);
        }
      }
    }
  }

  /**
   * Nova's choice when a server create names no network: the project's own
   * networks plus the shared ones; one is used, several are ambiguous, none
   * means the server gets no network.
   */
  async networksForAutoAllocation(auth: AuthContext): Promise<RequestedNetwork[]> {
    const nets = await this.db.selectFrom('neutron_networks').select(['id'])
      .where((eb) => eb.or([
        eb.and([eb('project_id', '=', auth.projectId), eb('shared', '=', 0)]),
        eb('shared', '=', 1),
      ]))
      .limit(2).execute();
    if (nets.length === 0) return [];
    if (nets.length > 1) throw new Conflict('Multiple possible networks found, use a Network ID to be more specific.');
    const id = nets[0]!.id;
    const subnets = await this.subnets.forNetwork(id);
    if (subnets.length === 0) throw new BadRequest(`Network ${id} requires a subnet in order to boot instances on.`);
    return [{ networkId: id }];
  }

  /**
   * Create (or bind the user's) ports for the instance on the host. All or
   * nothing: when one request fails, the ports made so far are deleted and
   * the ports bound so far are released again.
   */
  async allocateForInstance(req: AllocateForInstanceRequest): Promise<NetworkInfo> {
    const deviceOwner = `compute:${req.availabilityZone ?? 'nova'}`;
    const created: string[] = [];
    const bound: string[] = [];
    const records: PortRecord[] = [];
    const context: PortCreateContext = {};
    let groups: string[] | undefined;
    try {
      for (const r of req.requested) {
        if (r.portId !== undefined) {
          await this.bindPort(r.portId, req.instanceUuid, deviceOwner, req.host);
          bound.push(r.portId);
          records.push(await this.ports.get(ADMIN_SCOPE, r.portId));
          continue;
        }
        if (r.networkId === undefined) throw new BadRequest('A requested network needs a network id or a port id.');
        const [rec] = await this.ports.create([{
          project_id: req.projectId,
          network_id: r.networkId,
          name: '',
          description: '',
          admin_state_up: true,
          fixed_ips: r.fixedIp === undefined ? undefined : [{ ip_address: r.fixedIp }],
          device_id: req.instanceUuid,
          device_owner: deviceOwner,
          binding_host_id: req.host,
          binding_vnic_type: 'normal',
          binding_profile: {},
          port_security_enabled: true,
          created_by_compute: true,
        }], context);
        created.push(rec!.port.id);
        // Nova gives the ports it makes the server's groups (the default one when none was named).
        groups ??= await this.securityGroups.forNewPort(
          { project_id: req.projectId, device_owner: deviceOwner, port_security_enabled: true }, req.securityGroups?.length ? req.securityGroups : undefined);
        await this.securityGroups.setPortGroups(rec!.port.id, groups);
        records.push({ ...rec!, securityGroups: groups });
      }
      // The common case (ports made on one network) needs no second look at the network.
      if (bound.length === 0 && context.networks && records.every((r) => context.networks!.some((n) => n.id === r.port.network_id))) {
        return buildNetworkInfo(records, context.networks, context.subnets ?? [], this.binding);
      }
      return await this.networkInfo(records);
    } catch (err) {
      await this.release(created, bound);
      throw err;
    }
  }

  /**
   * Delete the ports made for the instance and release the ports the user
   * gave. A port the compute service made but a trunk now uses stays (Neutron
   * would refuse its deletion), released and the user's from now on. Idempotent.
   */
  async deallocateForInstance(instanceUuid: string): Promise<void> {
    const freed = await this.db.transaction().execute(async (trx) => {
      const ports = await trx.selectFrom('neutron_ports').select(['id', 'created_by_compute']).where('device_id', '=', instanceUuid).execute();
      const inTrunks = await portsInTrunks(trx, ports.map((p) => p.id));
      const mine = ports.filter((p) => p.created_by_compute === 1 && !inTrunks.has(p.id)).map((p) => p.id);
      const kept = ports.map((p) => p.id).filter((id) => !mine.includes(id));
      const { ips } = await deletePortRows(trx, mine);
      if (kept.length > 0) {
        await trx.updateTable('neutron_ports')
          .set({ device_id: '', device_owner: '', binding_host_id: '', status: 'DOWN', created_by_compute: 0, updated_at: nowIso() })
          .where('id', 'in', kept).execute();
        await followParentBinding(trx, kept);
      }
      return ips;
    });
    this.ports.released(freed);
  }

  /**
   * Binds the instance's ports to the host it now runs on (Nova's
   * migrate_instance_finish after a live migration); trunk subports follow.
   */
  async bindToHost(instanceUuid: string, host: string): Promise<void> {
    for (const rec of await this.ports.forDevice(instanceUuid)) {
      if (rec.port.binding_host_id !== host) await this.ports.update(rec.port, { binding_host_id: host });
    }
  }

  /** The ports bound to the instance, as os-interface shows them (Nova's list_ports by device_id). */
  async instancePorts(instanceUuid: string): Promise<InstancePort[]> {
    return (await this.ports.forDevice(instanceUuid)).map(instancePortOf);
  }

  /** One port by id whoever owns it, or undefined. */
  async findPort(portId: string): Promise<InstancePort | undefined> {
    const row = await this.db.selectFrom('neutron_ports').select('id').where('id', '=', portId).executeTakeFirst();
    if (!row) return undefined;
    return instancePortOf(await this.ports.get({ isAdmin: true, projectId: '' }, portId));
  }

  /**
   * Takes one port off the instance (interface detach): a port the compute
   * service made goes, a user's port is released. False when the instance has no such port.
   */
  async detachPort(instanceUuid: string, portId: string): Promise<boolean> {
    const row = await this.db.selectFrom('neutron_ports').select(['id', 'created_by_compute'])
      .where('id', '=', portId).where('device_id', '=', instanceUuid).executeTakeFirst();
    if (!row) return false;
    const inTrunk = (await portsInTrunks(this.db, [portId])).has(portId);
    if (row.created_by_compute === 1 && !inTrunk) await this.ports.delete(portId);
    else await this.release([], [portId]);
    return true;
  }

  /** The instance's VIFs as they are now (to rebuild an info cache). */
  async networkInfoForInstance(instanceUuid: string): Promise<NetworkInfo> {
    return this.networkInfo(await this.ports.forDevice(instanceUuid));
  }

  private async bindPort(portId: string, instanceUuid: string, deviceOwner: string, host: string): Promise<void> {
    // The device_id = '' condition makes claiming a port atomic: of two instances racing for it, one wins.
    const r = await this.db.updateTable('neutron_ports')
      .set({ device_id: instanceUuid, device_owner: deviceOwner, binding_host_id: host, status: 'ACTIVE', updated_at: nowIso() })
      .where('id', '=', portId).where('device_id', '=', '').executeTakeFirst();
    if (Number(r.numUpdatedRows) > 0) {
      await followParentBinding(this.db, [portId]);
      return;
    }
    const exists = await this.db.selectFrom('neutron_ports').select('id').where('id', '=', portId).executeTakeFirst();
    throw exists ? novaPortInUse(portId) : novaPortNotFound(portId);
  }

  private async release(created: string[], bound: string[]): Promise<void> {
    for (const id of created) await this.ports.delete(id).catch(() => undefined);
    if (bound.length > 0) {
      await this.db.updateTable('neutron_ports')
        .set({ device_id: '', device_owner: '', binding_host_id: '', status: 'DOWN', updated_at: nowIso() })
        .where('id', 'in', bound).execute();
      await followParentBinding(this.db, bound);
    }
  }

  private async networkInfo(records: PortRecord[]): Promise<NetworkInfo> {
    if (records.length === 0) return [];
    const networkIds = [...new Set(records.map((r) => r.port.network_id))];
    const networks: NetworkRow[] = await this.db.selectFrom('neutron_networks').selectAll().where('id', 'in', networkIds).execute();
    const subnets = await this.db.selectFrom('neutron_subnets').selectAll().where('network_id', 'in', networkIds)
      .orderBy('created_at').orderBy('id').execute();
    const floating = await floatingIpsOfPorts(this.db, records.map((r) => r.port.id));
    return buildNetworkInfo(records, networks, subnets, this.binding, floating);
  }
}
