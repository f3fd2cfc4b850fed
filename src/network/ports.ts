/** Ports: a MAC address and fixed IPs on a network, bound to a device on a host. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import { nowIso } from '../db/schema-helpers.js';
import { BadRequest, Conflict } from '../errors.js';
import type { IpAllocationRow, NetworkDb, NetworkRow, PortRow, SubnetRow } from './tables.js';
import { listRows, type ListableTable, type ListRequest } from './listing.js';
import { invalidAttribute, macAddressInUse, networkNotFound, portNotFound } from './errors.js';
import {
  allocatePortAddresses, resolveFixedIps, type AddressHints, type AllocatedIp, type FixedIpRequest, type ResolvedFixedIp,
} from './ipam.js';
import { parseIpv4 } from './ipv4.js';
import { tagsFor } from './tags.js';
import { assertNotInTrunk, followParentBinding, trunkDetailsFor } from './trunk-ports.js';
import type { KeyedMutex } from './keyed-mutex.js';
import { checkPortSecurityOff } from './port-security.js';
import { addressPairNeedsPortSecurity, withPortMac, type AddressPair, type AddressPairRequest } from './address-pairs.js';
import type { PortCreate, PortRecord, PortUpdate, Scope } from './model.js';

/** OpenStack's MAC prefix (fa:16:3e), which guests and tools recognise as a cloud port. */
export const MAC_PREFIX = 'fa:16:3e';
const MAC_RETRIES = 16;
const MAC_PATTERN = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

function fixedIpsCondition(eb: ExpressionBuilder<any, any>, values: string[]): Expression<SqlBool> {
  const ips: string[] = [];
  const subnets: string[] = [];
  const substrings: string[] = [];
  for (const v of values) {
    const eq = v.indexOf('=');
    const key = eq < 0 ? '' : v.slice(0, eq);
    const value = eq < 0 ? '' : v.slice(eq + 1);
    if (key === 'ip_address') ips.push(value);
    else if (key === 'subnet_id') subnets.push(value);
    else if (key === 'ip_address_substr') substrings.push(value);
    else throw invalidAttribute('fixed_ips', `'${v}' is not a valid fixed_ips filter (ip_address=, subnet_id= or ip_address_substr=)`);
  }
  let sub = eb.selectFrom('neutron_ip_allocations').select('neutron_ip_allocations.port_id')
    .whereRef('neutron_ip_allocations.port_id', '=', 'neutron_ports.id');
  if (ips.length > 0) sub = sub.where('neutron_ip_allocations.ip_address', 'in', ips);
  if (subnets.length > 0) sub = sub.where('neutron_ip_allocations.subnet_id', 'in', subnets);
  for (const s of substrings) sub = sub.where('neutron_ip_allocations.ip_address', 'like', `%${s.replace(/[%_]/g, '')}%`);
  return eb.exists(sub);
}

export const PORT_LISTING: ListableTable = {
  table: 'neutron_ports',
  taggable: true,
  attrs: {
    id: { column: 'id', kind: 'string' },
    name: { column: 'name', kind: 'string' },
    network_id: { column: 'network_id', kind: 'string' },
    project_id: { column: 'project_id', kind: 'string' },
    tenant_id: { column: 'project_id', kind: 'string' },
    mac_address: { column: 'mac_address', kind: 'string' },
    admin_state_up: { column: 'admin_state_up', kind: 'bool' },
    status: { column: 'status', kind: 'string' },
    device_id: { column: 'device_id', kind: 'string' },
    device_owner: { column: 'device_owner', kind: 'string' },
    'binding:host_id': { column: 'binding_host_id', kind: 'string' },
    'binding:vnic_type': { column: 'binding_vnic_type', kind: 'string' },
    description: { column: 'description', kind: 'string' },
    port_security_enabled: { column: 'port_security_enabled', kind: 'bool' },
    revision_number: { column: 'revision_number', kind: 'int' },
    created_at: { column: 'created_at', kind: 'string' },
    updated_at: { column: 'updated_at', kind: 'string' },
  },
  special: { fixed_ips: fixedIpsCondition },
};

/** A project sees its own ports and every port on a network it owns. */
export function portScope(scope: Scope): ((eb: ExpressionBuilder<any, any>) => Expression<SqlBool>) | null {
  if (scope.isAdmin) return null;
  return (eb) => eb.or([
    eb('neutron_ports.project_id', '=', scope.projectId),
    eb('neutron_ports.network_id', 'in', eb.selectFrom('neutron_networks').select('neutron_networks.id')
      .where('neutron_networks.project_id', '=', scope.projectId)),
  ]);
}

export function checkMac(mac: string): string {
  const m = mac.toLowerCase();
  const first = parseInt(m.slice(0, 2), 16);
  if (!MAC_PATTERN.test(m) || m === '00:00:00:00:00:00' || (first & 1) === 1) {
    throw invalidAttribute('mac_address', `'${mac}' is not a valid MAC address`);
  }
  return m;
}

export function generateMac(): string {
  const b = randomBytes(3);
  return `${MAC_PREFIX}:${b.toString('hex').match(/../g)!.join(':')}`;
}

/** With no agent to wire ports, a port is up as soon as it is bound to a host and administratively up. */
function statusFor(bindingHost: string, adminUp: boolean): string {
  return bindingHost !== '' && adminUp ? 'ACTIVE' : 'DOWN';
}

function groupIps(rows: Pick<IpAllocationRow, 'port_id' | 'subnet_id' | 'ip_address' | 'ip_int'>[]): Map<string, AllocatedIp[]> {
  const out = new Map<string, AllocatedIp[]>();
  for (const r of [...rows].sort((a, b) => Number(a.ip_int) - Number(b.ip_int))) {
    const list = out.get(r.port_id) ?? [];
    list.push({ subnet_id: r.subnet_id, ip_address: r.ip_address });
    out.set(r.port_id, list);
  }
  return out;
}

/** The networks and subnets a port creation read, for callers that describe the result (NetworkInfo). */
export interface PortCreateContext {
  networks?: NetworkRow[];
  subnets?: SubnetRow[];
}

/** Networks with their subnets (creation order) in one query. */
async function loadNetworks(db: NetworkDb, networkIds: string[]): Promise<{ networks: NetworkRow[]; subnets: SubnetRow[] }> {
  const rows = await db.selectFrom('neutron_networks')
    .leftJoin('neutron_subnets', 'neutron_subnets.network_id', 'neutron_networks.id')
    .select([
      'neutron_networks.id as n_id', 'neutron_networks.project_id as n_project_id', 'neutron_networks.name as n_name',
      'neutron_networks.description as n_description', 'neutron_networks.status as n_status',
      'neutron_networks.admin_state_up as n_admin_state_up', 'neutron_networks.shared as n_shared', 'neutron_networks.mtu as n_mtu',
      'neutron_networks.port_security_enabled as n_port_security_enabled', 'neutron_networks.router_external as n_router_external',
      'neutron_networks.provider_network_type as n_provider_network_type',
      'neutron_networks.provider_physical_network as n_provider_physical_network',
      'neutron_networks.provider_segmentation_id as n_provider_segmentation_id',
      'neutron_networks.revision_number as n_revision_number', 'neutron_networks.created_at as n_created_at',
      'neutron_networks.updated_at as n_updated_at',
    ])
    .select([
      'neutron_subnets.id', 'neutron_subnets.network_id', 'neutron_subnets.project_id', 'neutron_subnets.name',
      'neutron_subnets.description', 'neutron_subnets.ip_version', 'neutron_subnets.cidr', 'neutron_subnets.gateway_ip',
      'neutron_subnets.enable_dhcp', 'neutron_subnets.allocation_pools', 'neutron_subnets.dns_nameservers',
      'neutron_subnets.host_routes', 'neutron_subnets.subnetpool_id', 'neutron_subnets.revision_number', 'neutron_subnets.created_at', 'neutron_subnets.updated_at',
    ])
    .where('neutron_networks.id', 'in', networkIds)
    .orderBy('neutron_subnets.created_at').orderBy('neutron_subnets.id')
    .execute();
  const networks = new Map<string, NetworkRow>();
  const subnets: SubnetRow[] = [];
  for (const r of rows) {
    if (!networks.has(r.n_id)) {
      networks.set(r.n_id, {
        id: r.n_id, project_id: r.n_project_id, name: r.n_name, description: r.n_description, status: r.n_status,
        admin_state_up: r.n_admin_state_up, shared: r.n_shared, mtu: r.n_mtu, port_security_enabled: r.n_port_security_enabled,
        router_external: r.n_router_external, provider_network_type: r.n_provider_network_type,
        provider_physical_network: r.n_provider_physical_network, provider_segmentation_id: r.n_provider_segmentation_id,
        revision_number: r.n_revision_number, created_at: r.n_created_at, updated_at: r.n_updated_at,
      });
    }
    if (r.id !== null) {
      subnets.push({
        id: r.id, network_id: r.network_id!, project_id: r.project_id!, name: r.name!, description: r.description!,
        ip_version: r.ip_version!, cidr: r.cidr!, gateway_ip: r.gateway_ip ?? null, enable_dhcp: r.enable_dhcp!,
        allocation_pools: r.allocation_pools!, dns_nameservers: r.dns_nameservers!, host_routes: r.host_routes!, subnetpool_id: r.subnetpool_id ?? null,
        revision_number: r.revision_number!, created_at: r.created_at!, updated_at: r.updated_at!,
      });
    }
  }
  return { networks: [...networks.values()], subnets };
}

export class PortStore {
  constructor(private readonly db: NetworkDb, private readonly locks: KeyedMutex, private readonly hints: AddressHints) {}

  /** Run an allocating transaction; when it rolls back, the hints it advanced are no longer true. */
  private async allocating<T>(networkIds: string[], work: (trx: NetworkDb) => Promise<T>): Promise<T> {
    return this.locks.run(networkIds.map((n) => `net:${n}`), async () => {
      try {
        return await this.db.transaction().execute(work);
      } catch (err) {
        const subnets = await this.db.selectFrom('neutron_subnets').select('id').where('network_id', 'in', networkIds).execute()
          .catch(() => []);
        for (const s of subnets) this.hints.forget(s.id);
        throw err;
      }
    });
  }

  /** Addresses this process frees lower the hints so they are handed out again first. */
  released(rows: readonly { subnet_id: string; ip_int: number | string }[]): void {
    for (const r of rows) this.hints.lower(r.subnet_id, Number(r.ip_int));
  }

  async getRow(scope: Scope, id: string): Promise<PortRow> {
    let q = this.db.selectFrom('neutron_ports').selectAll().where('id', '=', id);
    const s = portScope(scope);
    if (s) q = q.where(s);
    const row = await q.executeTakeFirst();
    if (!row) throw portNotFound(id);
    return row;
  }

  async get(scope: Scope, id: string): Promise<PortRecord> {
    const [rec] = await this.records([await this.getRow(scope, id)]);
    return rec!;
  }

  async list(scope: Scope, req: ListRequest): Promise<{ records: PortRecord[]; hasMore: boolean }> {
    const { rows, hasMore } = await listRows<PortRow>(this.db, PORT_LISTING, req, portScope(scope), portNotFound);
    return { records: await this.records(rows), hasMore };
  }

  /** Ports whose device is the given instance, in creation order. */
  async forDevice(deviceId: string): Promise<PortRecord[]> {
    const rows = await this.db.selectFrom('neutron_ports').selectAll().where('device_id', '=', deviceId)
      .orderBy('created_at').orderBy('id').execute();
    return this.records(rows);
  }

  async records(rows: PortRow[]): Promise<PortRecord[]> {
    const ids = rows.map((r) => r.id);
    const ips = ids.length === 0 ? [] : await this.db.selectFrom('neutron_ip_allocations')
      .select(['port_id', 'subnet_id', 'ip_address', 'ip_int']).where('port_id', 'in', ids).execute();
    const byPort = groupIps(ips);
    const [tags, trunks, groups, pairs] = await Promise.all([
      tagsFor(this.db, ids), trunkDetailsFor(this.db, ids), this.groupsOf(ids), addressPairsOf(this.db, ids),
    ]);
    return rows.map((port) => ({
      port, fixedIps: byPort.get(port.id) ?? [], tags: tags.get(port.id) ?? [], trunkDetails: trunks.get(port.id), securityGroups: groups.get(port.id) ?? [],
      allowedAddressPairs: pairs.get(port.id) ?? [],
    }));
  }

  /** The security groups each port carries, by port id. */
  private async groupsOf(ids: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (ids.length === 0) return out;
    const rows = await this.db.selectFrom('neutron_security_group_port_bindings').select(['port_id', 'security_group_id'])
      .where('port_id', 'in', ids).orderBy('security_group_id').execute();
    for (const r of rows) out.set(r.port_id, [...(out.get(r.port_id) ?? []), r.security_group_id]);
    return out;
  }

  /**
   * Create ports with their addresses, all or nothing. Allocation on each
   * network is serialized in this process so concurrent creators do not
   * fight over the same lowest free address.
   */
  async create(inputs: PortCreate[], context?: PortCreateContext): Promise<PortRecord[]> {
    const networkIds = [...new Set(inputs.map((i) => i.network_id))];
    const macs = inputs.map((i) => (i.mac_address === undefined ? undefined : checkMac(i.mac_address)));
    for (const input of inputs) checkPortSecurity(input.port_security_enabled, input.allowed_address_pairs);
    return this.allocating(networkIds, async (trx) => {
      const { networks, subnets } = await loadNetworks(trx, networkIds);
      if (context) {
        context.networks = networks;
        context.subnets = subnets;
      }
      const out: PortRecord[] = [];
      for (const [i, input] of inputs.entries()) {
        if (!networks.some((n) => n.id === input.network_id)) throw networkNotFound(input.network_id);
        const netSubnets = subnets.filter((s) => s.network_id === input.network_id);
        const resolved = resolveFixedIps(input.network_id, netSubnets, input.fixed_ips,
          { allowGateway: input.device_owner.startsWith('network:router') });
        const now = nowIso();
        const row: PortRow = {
          id: randomUUID(),
          network_id: input.network_id,
          project_id: input.project_id,
          name: input.name,
          description: input.description,
          mac_address: macs[i] ?? '',
          admin_state_up: input.admin_state_up ? 1 : 0,
          status: statusFor(input.binding_host_id, input.admin_state_up),
          device_id: input.device_id,
          device_owner: input.device_owner,
          binding_host_id: input.binding_host_id,
          binding_vnic_type: input.binding_vnic_type,
          binding_profile: JSON.stringify(input.binding_profile),
          port_security_enabled: input.port_security_enabled ? 1 : 0,
          created_by_compute: input.created_by_compute ? 1 : 0,
          revision_number: 1,
          created_at: now,
          updated_at: now,
        };
        let inserted = false;
        for (let attempt = 0; attempt < MAC_RETRIES && !inserted; attempt++) {
          if (macs[i] === undefined) row.mac_address = generateMac();
          const r = await trx.insertInto('neutron_ports').values(row).onConflict((oc) => oc.doNothing()).executeTakeFirst();
          inserted = Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
          if (!inserted && macs[i] !== undefined) throw macAddressInUse(input.network_id, row.mac_address);
        }
        if (!inserted) throw new Conflict('Unable to generate a unique mac address.', { type: 'MacAddressGenerationFailure' });
        const ips = await allocatePortAddresses(trx, row.id, input.network_id, netSubnets, resolved, input.fixed_ips === undefined, this.hints);
        const pairs = await setAddressPairs(trx, row.id, row.mac_address, input.allowed_address_pairs ?? []);
        out.push({ port: row, fixedIps: ips, tags: [], allowedAddressPairs: pairs });
      }
      return out;
    });
  }

  /** `securityGroups`: the groups the same request gives the port, checked against its port security here. */
  async update(current: PortRow, patch: PortUpdate, opts: { securityGroups?: readonly string[] } = {}): Promise<PortRecord> {
    const values: Partial<PortRow> = {};
    if (patch.mac_address !== undefined) {
      const mac = checkMac(patch.mac_address);
      if (mac !== current.mac_address) {
        if (current.binding_host_id !== '') {
          throw new Conflict(`Unable to complete operation on port ${current.id}, port is already bound, port type: ${current.binding_vnic_type}, old_mac ${current.mac_address}, new_mac ${mac}.`, { type: 'PortBound' });
        }
        const taken = await this.db.selectFrom('neutron_ports').select('id').where('mac_address', '=', mac).executeTakeFirst();
        if (taken) throw macAddressInUse(current.network_id, mac);
        values.mac_address = mac;
      }
    }
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.description !== undefined) values.description = patch.description;
    if (patch.admin_state_up !== undefined) values.admin_state_up = patch.admin_state_up ? 1 : 0;
    if (patch.device_id !== undefined) values.device_id = patch.device_id;
    if (patch.device_owner !== undefined) values.device_owner = patch.device_owner;
    if (patch.binding_host_id !== undefined) values.binding_host_id = patch.binding_host_id;
    if (patch.binding_vnic_type !== undefined) values.binding_vnic_type = patch.binding_vnic_type;
    if (patch.binding_profile !== undefined) values.binding_profile = JSON.stringify(patch.binding_profile);
    if (patch.port_security_enabled !== undefined) values.port_security_enabled = patch.port_security_enabled ? 1 : 0;
    values.status = statusFor(values.binding_host_id ?? current.binding_host_id,
      (values.admin_state_up ?? current.admin_state_up) === 1);
    const portSecurity = patch.port_security_enabled ?? current.port_security_enabled === 1;
    const apply = async (trx: NetworkDb) => {
      if (patch.allowed_address_pairs !== undefined) {
        checkPortSecurity(portSecurity, patch.allowed_address_pairs);
        await setAddressPairs(trx, current.id, values.mac_address ?? current.mac_address, patch.allowed_address_pairs);
      } else if (!portSecurity && (await addressPairsOf(trx, [current.id])).has(current.id)) {
        // Turning port security off would leave pairs nothing enforces.
        throw addressPairNeedsPortSecurity();
      }
      if (!portSecurity) {
        const bound = await trx.selectFrom('neutron_security_group_port_bindings').select('security_group_id')
          .where('port_id', '=', current.id).execute();
        checkPortSecurityOff(opts.securityGroups, bound.map((b) => b.security_group_id));
      }
      if (patch.fixed_ips !== undefined) await this.replaceAddresses(trx, current, patch.fixed_ips, values.device_owner ?? current.device_owner);
      const r = await trx.updateTable('neutron_ports')
        .set({ ...values, updated_at: nowIso(), revision_number: current.revision_number + 1 })
        .where('id', '=', current.id).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw portNotFound(current.id);
    };
    if (patch.fixed_ips !== undefined) {
      const freed = await this.allocating([current.network_id], async (trx) => {
        const before = await trx.selectFrom('neutron_ip_allocations').select(['subnet_id', 'ip_int', 'ip_address'])
          .where('port_id', '=', current.id).execute();
        await apply(trx);
        const after = new Set((await trx.selectFrom('neutron_ip_allocations').select('ip_address')
          .where('port_id', '=', current.id).execute()).map((r) => r.ip_address));
        return before.filter((b) => !after.has(b.ip_address));
      });
      this.released(freed);
    } else if (patch.allowed_address_pairs !== undefined || !portSecurity) {
      // The pairs are replaced, or checked against port security, in the same transaction as the port row.
      await this.db.transaction().execute(apply);
    } else {
      await apply(this.db);
    }
    await followParentBinding(this.db, [current.id]);
    return this.get({ isAdmin: true, projectId: '' }, current.id);
  }

  /**
   * Make the port's addresses what `requested` says: addresses it already has
   * and still asks for stay, a subnet-only entry keeps the port's address on
   * that subnet, everything else is released or allocated.
   */
  private async replaceAddresses(trx: NetworkDb, port: PortRow, requested: FixedIpRequest[], deviceOwner: string): Promise<void> {
    const subnets: SubnetRow[] = await trx.selectFrom('neutron_subnets').selectAll()
      .where('network_id', '=', port.network_id).orderBy('created_at').orderBy('id').execute();
    const existing = await trx.selectFrom('neutron_ip_allocations').select(['subnet_id', 'ip_address', 'ip_int'])
      .where('port_id', '=', port.id).execute();
    const resolved = resolveFixedIps(port.network_id, subnets, requested, { allowGateway: deviceOwner.startsWith('network:router') });
    const keep = new Set<string>();
    const toAllocate: ResolvedFixedIp[] = [];
    for (const r of resolved) {
      const match = existing.find((e) => e.subnet_id === r.subnet.id && !keep.has(e.ip_address)
        && (r.ip === null || Number(e.ip_int) === r.ip));
      if (match) keep.add(match.ip_address);
      else toAllocate.push(r);
    }
    const release = existing.filter((e) => !keep.has(e.ip_address)).map((e) => e.ip_address);
    if (release.length > 0) {
      await trx.deleteFrom('neutron_ip_allocations').where('port_id', '=', port.id).where('ip_address', 'in', release).execute();
    }
    await allocatePortAddresses(trx, port.id, port.network_id, subnets, toAllocate, false, this.hints);
  }

  async delete(id: string): Promise<void> {
    const freed = await this.db.transaction().execute(async (trx) => {
      await assertNotInTrunk(trx, id);
      const { ips, deleted } = await deletePortRows(trx, [id]);
      if (deleted === 0) throw portNotFound(id);
      return ips;
    });
    this.released(freed);
  }
}

/**
 * Removes ports with their addresses and tags in the caller's transaction. A
 * floating IP on one of them is disassociated, as Neutron does when the port
 * goes. Returns the freed addresses (for released()) and how many ports went.
 */
export async function deletePortRows(trx: NetworkDb, ids: readonly string[]): Promise<{ ips: Array<{ subnet_id: string; ip_int: number }>; deleted: number }> {
  if (ids.length === 0) return { ips: [], deleted: 0 };
  const ips = await trx.selectFrom('neutron_ip_allocations').select(['subnet_id', 'ip_int']).where('port_id', 'in', ids).execute();
  await trx.updateTable('neutron_floatingips')
    .set({ fixed_port_id: null, fixed_ip_address: null, router_id: null, status: 'DOWN', updated_at: nowIso() })
    .where('fixed_port_id', 'in', ids).execute();
  await trx.deleteFrom('neutron_ip_allocations').where('port_id', 'in', ids).execute();
  await trx.deleteFrom('neutron_allowed_address_pairs').where('port_id', 'in', ids).execute();
  await trx.deleteFrom('neutron_tags').where('resource_id', 'in', ids).execute();
  const r = await trx.deleteFrom('neutron_ports').where('id', 'in', ids).executeTakeFirst();
  return { ips, deleted: Number(r.numDeletedRows) };
}

/** Pairs need port security: it is what would let them through its anti-spoofing rules. */
function checkPortSecurity(portSecurity: boolean, pairs: readonly AddressPairRequest[] | undefined): void {
  if (!portSecurity && pairs !== undefined && pairs.length > 0) throw addressPairNeedsPortSecurity();
}

/** Makes the port's pairs exactly `pairs` (an update replaces the whole list, as Neutron's does). */
async function setAddressPairs(trx: NetworkDb, portId: string, portMac: string, pairs: readonly AddressPairRequest[]): Promise<AddressPair[]> {
  const stored = withPortMac(pairs, portMac);
  await trx.deleteFrom('neutron_allowed_address_pairs').where('port_id', '=', portId).execute();
  if (stored.length > 0) {
    await trx.insertInto('neutron_allowed_address_pairs')
      .values(stored.map((p, position) => ({ port_id: portId, mac_address: p.mac_address, ip_address: p.ip_address, position }))).execute();
  }
  return stored;
}

/** Each port's pairs in the order they were given, by port id (ports without pairs are absent). */
export async function addressPairsOf(db: NetworkDb, ids: readonly string[]): Promise<Map<string, AddressPair[]>> {
  const out = new Map<string, AddressPair[]>();
  if (ids.length === 0) return out;
  const rows = await db.selectFrom('neutron_allowed_address_pairs').select(['port_id', 'mac_address', 'ip_address'])
    .where('port_id', 'in', [...ids]).orderBy('port_id').orderBy('position').execute();
  for (const r of rows) out.set(r.port_id, [...(out.get(r.port_id) ?? []), { ip_address: r.ip_address, mac_address: r.mac_address }]);
  return out;
}

/** An address given as text must at least look like IPv4 before it reaches IPAM. */
export function checkIpText(attr: string, ip: unknown): string {
  if (typeof ip !== 'string' || parseIpv4(ip) === null) {
    throw new BadRequest(`Invalid input for ${attr}. Reason: '${String(ip)}' is not a valid IP address.`);
  }
  return ip;
}
