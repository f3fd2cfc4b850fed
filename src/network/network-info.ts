/**
 * Nova's network_info: the VIFs of an instance as the compute service caches
 * them (instance_info_caches.network_info) and hands them to the virt driver.
 * Plain JSON, so it crosses the bus and the database unchanged.
 */
import type { NetworkDb, NetworkRow, SubnetRow } from './tables.js';
import type { HostRoute, PortRecord } from './model.js';

/** A floating IP NATed to a fixed address (Nova's model hangs it under that fixed IP). */
export interface VifFloatingIp {
  address: string;
  type: 'floating';
  version: 4;
  meta: Record<string, unknown>;
}

export interface VifIp {
  address: string;
  type: 'fixed';
  version: 4;
  meta: Record<string, unknown>;
  floating_ips: VifFloatingIp[];
}

/** Floating addresses by port id, then by the fixed address they are NATed to. */
export type FloatingIpsOfPorts = ReadonlyMap<string, ReadonlyMap<string, string[]>>;

export interface VifAddress {
  address: string | null;
  type: 'gateway' | 'dns';
  version: 4 | null;
  meta: Record<string, unknown>;
}

export interface VifRoute {
  cidr: string;
  gateway: VifAddress;
  interface: null;
  meta: Record<string, unknown>;
}

export interface VifSubnet {
  cidr: string;
  /** Nova always carries a gateway object; address is null when the subnet has none. */
  gateway: VifAddress;
  ips: VifIp[];
  dns: VifAddress[];
  routes: VifRoute[];
  version: 4;
  meta: { dhcp_server?: string; enable_dhcp: boolean };
}

export interface VifNetwork {
  id: string;
  /** The network's name. */
  label: string;
  /** The host bridge the VIF plugs into (Linux bridge agent naming). */
  bridge: string | null;
  subnets: VifSubnet[];
  meta: { injected: boolean; tenant_id: string; mtu: number };
}

export interface Vif {
  /** The port id. */
  id: string;
  /** The MAC address. */
  address: string;
  network: VifNetwork;
  type: string;
  details: Record<string, unknown>;
  /** 'tap' + the first 11 characters of the port id (fits IFNAMSIZ). */
  devname: string;
  ovs_interfaceid: string | null;
  vnic_type: string;
  profile: Record<string, unknown>;
  active: boolean;
  /** True for ports the user brought: deleting the instance only unbinds them. */
  preserve_on_delete: boolean;
  meta: Record<string, unknown>;
}

export type NetworkInfo = Vif[];

export interface VifBinding {
  vifType: string;
  vifDetails: Record<string, unknown>;
}

export function devnameFor(portId: string): string {
  return `tap${portId.slice(0, 11)}`;
}

export function bridgeFor(networkId: string): string {
  return `brq${networkId.slice(0, 11)}`;
}

function address(addr: string | null, type: 'gateway' | 'dns'): VifAddress {
  return { address: addr, type, version: addr === null ? null : 4, meta: {} };
}

/** The floating IPs associated with these ports, as buildNetworkInfo takes them. */
export async function floatingIpsOfPorts(db: NetworkDb, portIds: readonly string[]): Promise<FloatingIpsOfPorts> {
  const out = new Map<string, Map<string, string[]>>();
  if (portIds.length === 0) return out;
  const rows = await db.selectFrom('neutron_floatingips').select(['fixed_port_id', 'fixed_ip_address', 'floating_ip_address'])
    .where('fixed_port_id', 'in', [...portIds]).orderBy('floating_ip_address').execute();
  for (const r of rows) {
    if (r.fixed_port_id === null || r.fixed_ip_address === null) continue;
    const byFixed = out.get(r.fixed_port_id) ?? new Map<string, string[]>();
    out.set(r.fixed_port_id, byFixed);
    byFixed.set(r.fixed_ip_address, [...(byFixed.get(r.fixed_ip_address) ?? []), r.floating_ip_address]);
  }
  return out;
}

/** The VIFs of ports, given their networks, the subnets of those networks and the ports' floating IPs. */
export function buildNetworkInfo(
  ports: readonly PortRecord[], networks: readonly NetworkRow[], subnets: readonly SubnetRow[], binding: VifBinding,
  floating: FloatingIpsOfPorts = new Map(),
): NetworkInfo {
  return ports.map(({ port, fixedIps }) => {
    const network = networks.find((n) => n.id === port.network_id);
    if (!network) throw new Error(`network ${port.network_id} of port ${port.id} vanished`);
    const vifSubnets: VifSubnet[] = subnets
      .filter((s) => s.network_id === network.id && fixedIps.some((ip) => ip.subnet_id === s.id))
      .map((s) => ({
        cidr: s.cidr,
        gateway: address(s.gateway_ip, 'gateway'),
        ips: fixedIps.filter((ip) => ip.subnet_id === s.id)
          .map((ip) => ({
            address: ip.ip_address, type: 'fixed' as const, version: 4 as const, meta: {},
            floating_ips: (floating.get(port.id)?.get(ip.ip_address) ?? [])
              .map((address) => ({ address, type: 'floating' as const, version: 4 as const, meta: {} })),
          })),
        dns: (JSON.parse(s.dns_nameservers) as string[]).map((d) => address(d, 'dns')),
        routes: (JSON.parse(s.host_routes) as HostRoute[]).map((r) => ({
          cidr: r.destination, gateway: address(r.nexthop, 'gateway'), interface: null, meta: {},
        })),
        version: 4 as const,
        meta: { enable_dhcp: s.enable_dhcp === 1 },
      }));
    const bound = port.binding_host_id !== '';
    return {
      id: port.id,
      address: port.mac_address,
      network: {
        id: network.id,
        label: network.name,
        bridge: binding.vifType === 'bridge' ? bridgeFor(network.id) : null,
        subnets: vifSubnets,
        meta: { injected: false, tenant_id: port.project_id, mtu: network.mtu },
      },
      type: bound ? binding.vifType : 'unbound',
      details: bound ? binding.vifDetails : {},
      devname: devnameFor(port.id),
      ovs_interfaceid: binding.vifType === 'ovs' ? port.id : null,
      vnic_type: port.binding_vnic_type,
      profile: JSON.parse(port.binding_profile) as Record<string, unknown>,
      active: port.status === 'ACTIVE',
      preserve_on_delete: port.created_by_compute === 0,
      meta: {},
    };
  });
}
