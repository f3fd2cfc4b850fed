/**
 * The plugin side of the agents: what each agent should make real, computed
 * from the network service's tables (Neutron's get_devices_details_list,
 * get_active_networks_info, sync_routers, and the metadata agent's port
 * lookup). Read-only but for one thing Neutron's DHCP agent also asks of the
 * plugin: a network it serves gets its DHCP port.
 */
import type { KeyedMutex } from '../keyed-mutex.js';
import { addressPairsOf, type PortStore } from '../ports.js';
import { ROUTER_GATEWAY, ROUTER_INTERFACE } from '../routers.js';
import type { NetworkDb, PortRow, SecurityGroupRuleRow, SubnetRow } from '../tables.js';
import type { PortForAddress } from './plugin-rpc.js';
import type {
  DhcpHostEntry, DhcpNetworkState, DhcpPortEntries, FirewallRule, FixedIp, FloatingIpState, HostPortState, RouterInterfaceState, RouterState, SubnetState,
} from './state.js';

/** Neutron's device_owner of a network's DHCP port. */
export const DHCP_OWNER = 'network:dhcp';

const isIpv6 = (ip: string) => ip.includes(':');

/** Neutron's default DNS name of a port without one: host-10-0-0-5. */
export function defaultHostname(ip: string): string {
  return `host-${ip.replace(/[.:]/g, '-')}`;
}

function subnetState(s: SubnetRow): SubnetState {
  return {
    id: s.id, networkId: s.network_id, cidr: s.cidr, ipVersion: s.ip_version === 6 ? 6 : 4, gatewayIp: s.gateway_ip,
    enableDhcp: s.enable_dhcp === 1, dnsNameservers: JSON.parse(s.dns_nameservers) as string[],
    hostRoutes: JSON.parse(s.host_routes) as Array<{ destination: string; nexthop: string }>,
  };
}

function prefixLength(cidr: string): string {
  return cidr.split('/')[1] ?? (isIpv6(cidr) ? '128' : '32');
}

export interface AgentStatesOptions {
  db: NetworkDb;
  ports: PortStore;
  locks: KeyedMutex;
}

export class AgentStates {
  private readonly db: NetworkDb;
  private readonly ports: PortStore;
  private readonly locks: KeyedMutex;

  constructor(opts: AgentStatesOptions) {
    this.db = opts.db;
    this.ports = opts.ports;
    this.locks = opts.locks;
  }

  /** The fixed IPs of each port, in address order. */
  private async fixedIpsOf(portIds: readonly string[]): Promise<Map<string, FixedIp[]>> {
    const out = new Map<string, FixedIp[]>();
    if (portIds.length === 0) return out;
    const rows = await this.db.selectFrom('neutron_ip_allocations').select(['port_id', 'subnet_id', 'ip_address', 'ip_int'])
      .where('port_id', 'in', [...portIds]).execute();
    rows.sort((a, b) => Number(a.ip_int) - Number(b.ip_int) || a.ip_address.localeCompare(b.ip_address));
    for (const r of rows) out.set(r.port_id, [...(out.get(r.port_id) ?? []), { subnetId: r.subnet_id, ipAddress: r.ip_address }]);
    return out;
  }

  /**
   * The guest ports bound to `host` that are administratively up, each with
   * the union of its groups' rules; a rule naming a remote group carries the
   * addresses of that group's member ports (of the rule's IP version).
   */
  async hostPorts(host: string, portIds?: readonly string[]): Promise<HostPortState[]> {
    if (portIds && portIds.length === 0) return [];
    let q = this.db.selectFrom('neutron_ports').innerJoin('neutron_networks', 'neutron_networks.id', 'neutron_ports.network_id')
      .select(['neutron_ports.id', 'neutron_ports.network_id', 'neutron_ports.mac_address', 'neutron_ports.port_security_enabled', 'neutron_networks.mtu'])
      .where('neutron_ports.binding_host_id', '=', host).where('neutron_ports.device_owner', 'like', 'compute:%')
      .where('neutron_ports.admin_state_up', '=', 1);
    if (portIds) q = q.where('neutron_ports.id', 'in', [...portIds]);
    const ports = await q.orderBy('neutron_ports.id').execute();
    if (ports.length === 0) return [];
    const ids = ports.map((p) => p.id);
    const [ips, pairs, bindings] = await Promise.all([
      this.fixedIpsOf(ids),
      addressPairsOf(this.db, ids),
      this.db.selectFrom('neutron_security_group_port_bindings').select(['port_id', 'security_group_id']).where('port_id', 'in', ids).execute(),
    ]);
    const groupIds = [...new Set(bindings.map((b) => b.security_group_id))];
    const rules = groupIds.length === 0 ? [] : await this.db.selectFrom('neutron_security_group_rules').selectAll()
      .where('security_group_id', 'in', groupIds).orderBy('id').execute();
    const members = await this.groupMemberAddresses([...new Set(rules.flatMap((r) => (r.remote_group_id ? [r.remote_group_id] : [])))]);
    const rulesOf = new Map<string, FirewallRule[]>();
    for (const r of rules) rulesOf.set(r.security_group_id, [...(rulesOf.get(r.security_group_id) ?? []), firewallRule(r, members)]);
    const groupsOf = new Map<string, string[]>();
    for (const b of bindings) groupsOf.set(b.port_id, [...(groupsOf.get(b.port_id) ?? []), b.security_group_id]);
    return ports.map((p) => ({
      portId: p.id, networkId: p.network_id, macAddress: p.mac_address, fixedIps: ips.get(p.id) ?? [],
      portSecurityEnabled: p.port_security_enabled === 1,
      allowedAddressPairs: (pairs.get(p.id) ?? []).map((a) => ({ ipAddress: a.ip_address, macAddress: a.mac_address })),
      rules: (groupsOf.get(p.id) ?? []).sort().flatMap((g) => rulesOf.get(g) ?? []), mtu: p.mtu,
    }));
  }

  /**
   * The addresses of every port in each group, by group id: its fixed IPs and
   * its allowed address pairs' addresses (Neutron counts both as the group's
   * members, so traffic from a pair's VIP is from the group).
   */
  private async groupMemberAddresses(groupIds: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (groupIds.length === 0) return out;
    const inGroups = [...groupIds];
    const [fixed, paired] = await Promise.all([
      this.db.selectFrom('neutron_security_group_port_bindings')
        .innerJoin('neutron_ip_allocations', 'neutron_ip_allocations.port_id', 'neutron_security_group_port_bindings.port_id')
        .select(['neutron_security_group_port_bindings.security_group_id as group_id', 'neutron_ip_allocations.ip_address'])
        .where('neutron_security_group_port_bindings.security_group_id', 'in', inGroups).execute(),
      this.db.selectFrom('neutron_security_group_port_bindings')
        .innerJoin('neutron_allowed_address_pairs', 'neutron_allowed_address_pairs.port_id', 'neutron_security_group_port_bindings.port_id')
        .select(['neutron_security_group_port_bindings.security_group_id as group_id', 'neutron_allowed_address_pairs.ip_address'])
        .where('neutron_security_group_port_bindings.security_group_id', 'in', inGroups).execute(),
    ]);
    for (const r of [...fixed, ...paired]) out.set(r.group_id, [...(out.get(r.group_id) ?? []), r.ip_address]);
    for (const [g, list] of out) out.set(g, [...new Set(list)].sort());
    return out;
  }

  /**
   * Each network with a DHCP-enabled subnet and what its dnsmasq serves.
   * With `ensurePorts` (a DHCP agent serves the cloud), a network without its
   * DHCP port gets one bound to `host`, with an address on each DHCP-enabled
   * subnet; without, such a network is left out (there is no DHCP server to describe).
   */
  async dhcpNetworks(opts: { ensurePorts: boolean; host: string }): Promise<DhcpNetworkState[]> {
    const subnets = await this.db.selectFrom('neutron_subnets').selectAll().orderBy('created_at').orderBy('id').execute();
    const dhcpNetIds = [...new Set(subnets.filter((s) => s.enable_dhcp === 1).map((s) => s.network_id))];
    if (dhcpNetIds.length === 0) return [];
    const networks = await this.db.selectFrom('neutron_networks').select(['id', 'mtu', 'project_id']).where('id', 'in', dhcpNetIds).orderBy('id').execute();
    const ports = await this.db.selectFrom('neutron_ports').selectAll().where('network_id', 'in', dhcpNetIds).orderBy('id').execute();
    const dhcpPorts = new Map<string, PortRow>();
    for (const p of ports) if (p.device_owner === DHCP_OWNER && !dhcpPorts.has(p.network_id)) dhcpPorts.set(p.network_id, p);
    let ips = await this.fixedIpsOf(ports.map((p) => p.id));
    if (opts.ensurePorts) {
      let changed = false;
      for (const n of networks) {
        const served = subnets.filter((s) => s.network_id === n.id && s.enable_dhcp === 1);
        const have = dhcpPorts.get(n.id);
        if (!have) {
          const made = await this.ensureDhcpPort(n.id, n.project_id, served, opts.host);
          dhcpPorts.set(n.id, made);
          ports.push(made);
          changed = true;
        } else if (await this.addMissingDhcpAddresses(have, served, ips.get(have.id) ?? [])) {
          changed = true;
        }
      }
      if (changed) ips = await this.fixedIpsOf(ports.map((p) => p.id));
    }
    const out: DhcpNetworkState[] = [];
    for (const n of networks) {
      const dhcpPort = dhcpPorts.get(n.id);
      if (!dhcpPort) continue;
      const netSubnets = subnets.filter((s) => s.network_id === n.id);
      const served = new Set(netSubnets.filter((s) => s.enable_dhcp === 1).map((s) => s.id));
      const hosts = ports.filter((p) => p.network_id === n.id).flatMap((p) => hostEntries(p, ips.get(p.id) ?? [], served));
      out.push({
        networkId: n.id, mtu: n.mtu,
        dhcpPort: { portId: dhcpPort.id, macAddress: dhcpPort.mac_address, fixedIps: ips.get(dhcpPort.id) ?? [] },
        subnets: netSubnets.map(subnetState), hosts, metadata: true,
      });
    }
    return out;
  }

  /** One port's DHCP host entries, or null when it is gone. */
  async dhcpPortEntries(portId: string): Promise<DhcpPortEntries | null> {
    const port = await this.db.selectFrom('neutron_ports').select(['id', 'network_id', 'mac_address', 'device_owner'])
      .where('id', '=', portId).executeTakeFirst();
    if (!port) return null;
    const ips = (await this.fixedIpsOf([port.id])).get(port.id) ?? [];
    const subnetIds = [...new Set(ips.map((ip) => ip.subnetId))];
    const served = new Set(subnetIds.length === 0 ? [] : (await this.db.selectFrom('neutron_subnets').select('id')
      .where('id', 'in', subnetIds).where('enable_dhcp', '=', 1).execute()).map((s) => s.id));
    return { networkId: port.network_id, dhcpPort: port.device_owner === DHCP_OWNER, hosts: hostEntries(port, ips, served) };
  }

  /** The network's DHCP port, made once even when two syncs ask together (checked again under the network's lock). */
  private async ensureDhcpPort(networkId: string, projectId: string, dhcpSubnets: readonly SubnetRow[], host: string): Promise<PortRow> {
    return this.locks.run([`dhcp:${networkId}`], async () => {
      const existing = await this.db.selectFrom('neutron_ports').selectAll().where('network_id', '=', networkId)
        .where('device_owner', '=', DHCP_OWNER).orderBy('id').executeTakeFirst();
      if (existing) return existing;
      const [rec] = await this.ports.create([{
        project_id: projectId, network_id: networkId, name: '', description: '', admin_state_up: true,
        fixed_ips: dhcpSubnets.map((s) => ({ subnet_id: s.id })),
        // Neutron names the device after the agent's host and the network; one DHCP agent serves every network here.
        device_id: `dhcp-${networkId}`, device_owner: DHCP_OWNER,
        binding_host_id: host, binding_vnic_type: 'normal', binding_profile: {}, port_security_enabled: false,
      }]);
      return rec!.port;
    });
  }

  /** A DHCP subnet added after the port was made gets an address of the port too (Neutron's agent updates its port so). */
  private async addMissingDhcpAddresses(port: PortRow, served: readonly SubnetRow[], has: readonly FixedIp[]): Promise<boolean> {
    const missing = served.filter((s) => !has.some((ip) => ip.subnetId === s.id));
    if (missing.length === 0) return false;
    await this.locks.run([`dhcp:${port.network_id}`], () => this.ports.update(port, {
      fixed_ips: [...has.map((ip) => ({ subnet_id: ip.subnetId, ip_address: ip.ipAddress })), ...missing.map((s) => ({ subnet_id: s.id }))],
    }));
    return true;
  }

  /** Every router with its gateway, interfaces and associated floating IPs. */
  async routers(): Promise<RouterState[]> {
    const routers = await this.db.selectFrom('neutron_routers').selectAll().orderBy('id').execute();
    if (routers.length === 0) return [];
    const routerIds = routers.map((r) => r.id);
    const ports = await this.db.selectFrom('neutron_ports').selectAll().where('device_id', 'in', routerIds)
      .where('device_owner', 'in', [ROUTER_INTERFACE, ROUTER_GATEWAY]).orderBy('id').execute();
    const ips = await this.fixedIpsOf(ports.map((p) => p.id));
    const subnetIds = [...new Set([...ips.values()].flat().map((ip) => ip.subnetId))];
    const subnets = new Map((subnetIds.length === 0 ? [] : await this.db.selectFrom('neutron_subnets').selectAll().where('id', 'in', subnetIds).execute())
      .map((s) => [s.id, s]));
    const fips = await this.db.selectFrom('neutron_floatingips').selectAll().where('router_id', 'in', routerIds)
      .where('fixed_ip_address', 'is not', null).orderBy('id').execute();
    const iface = (p: PortRow): RouterInterfaceState => ({
      portId: p.id, networkId: p.network_id, macAddress: p.mac_address,
      cidrs: (ips.get(p.id) ?? []).map((ip) => `${ip.ipAddress}/${prefixLength(subnets.get(ip.subnetId)?.cidr ?? ip.ipAddress)}`),
    });
    return routers.map((r) => {
      const gw = r.gw_port_id === null ? undefined : ports.find((p) => p.id === r.gw_port_id);
      const gwSubnet = gw ? subnets.get((ips.get(gw.id) ?? [])[0]?.subnetId ?? '') : undefined;
      const floatingIps: FloatingIpState[] = fips.filter((f) => f.router_id === r.id)
        .map((f) => ({ id: f.id, floatingIpAddress: f.floating_ip_address, fixedIpAddress: f.fixed_ip_address! }));
      return {
        routerId: r.id, adminStateUp: r.admin_state_up === 1,
        gateway: gw ? { ...iface(gw), gatewayIp: gwSubnet?.gateway_ip ?? null, enableSnat: r.enable_snat === 1 } : null,
        interfaces: ports.filter((p) => p.device_id === r.id && p.device_owner === ROUTER_INTERFACE).map(iface),
        floatingIps,
      };
    });
  }

  /** The port that holds `ipAddress` on the network, for the metadata agent to name the instance behind a request. */
  async portForAddress(networkId: string, ipAddress: string): Promise<PortForAddress | null> {
    const row = await this.db.selectFrom('neutron_ip_allocations').innerJoin('neutron_ports', 'neutron_ports.id', 'neutron_ip_allocations.port_id')
      .select(['neutron_ports.id', 'neutron_ports.device_id', 'neutron_ports.device_owner', 'neutron_ports.project_id'])
      .where('neutron_ip_allocations.network_id', '=', networkId).where('neutron_ip_allocations.ip_address', '=', ipAddress)
      .executeTakeFirst();
    return row ? { port_id: row.id, device_id: row.device_id, device_owner: row.device_owner, project_id: row.project_id } : null;
  }
}

/** A port's DHCP host entries: one per address on a subnet that DHCP serves. */
function hostEntries(port: { id: string; mac_address: string }, ips: readonly FixedIp[], served: ReadonlySet<string>): DhcpHostEntry[] {
  return ips.filter((ip) => served.has(ip.subnetId))
    .map((ip) => ({ portId: port.id, macAddress: port.mac_address, ipAddress: ip.ipAddress, hostname: defaultHostname(ip.ipAddress) }));
}

function firewallRule(r: SecurityGroupRuleRow, members: Map<string, string[]>): FirewallRule {
  const v6 = r.ethertype === 'IPv6';
  return {
    direction: r.direction === 'egress' ? 'egress' : 'ingress',
    ethertype: v6 ? 'IPv6' : 'IPv4',
    protocol: r.protocol,
    portRangeMin: r.port_range_min,
    portRangeMax: r.port_range_max,
    remoteIpPrefix: r.remote_ip_prefix,
    remoteGroupAddresses: r.remote_group_id === null ? null : (members.get(r.remote_group_id) ?? []).filter((ip) => isIpv6(ip) === v6),
    // Named, the group's address set keeps its name as members come and go: a new member rewrites the set, not every port's chains.
    remoteGroupId: r.remote_group_id,
  };
}
