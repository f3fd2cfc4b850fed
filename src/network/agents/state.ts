/**
 * What the network agents on a host should make real, as plain data.
 *
 * The network service computes these from its database (the plugin side, as
 * Neutron's agent RPC does) and each agent's driver makes the kernel match:
 * level-triggered, so one `sync` of the whole desired state both applies a
 * change and rebuilds everything after a restart. Names of kernel objects are
 * derived from resource ids here, once, so every agent finds what another made.
 */

/** Linux caps interface names at 15 characters; Neutron uses a 3-letter prefix and 11 id characters. */
const DEVICE_ID_CHARS = 11;

export const deviceNames = {
  /** the bridge of a network (Neutron's linuxbridge agent: brq<network id>) */
  bridge: (networkId: string) => `brq${networkId.slice(0, DEVICE_ID_CHARS)}`,
  /** a guest's tap, as libvirt is told to create it */
  tap: (portId: string) => `tap${portId.slice(0, DEVICE_ID_CHARS)}`,
  /** the DHCP port's end inside its qdhcp- namespace */
  dhcpInside: (portId: string) => `ns-${portId.slice(0, DEVICE_ID_CHARS)}`,
  /** a router's internal interface inside its qrouter- namespace */
  routerInterface: (portId: string) => `qr-${portId.slice(0, DEVICE_ID_CHARS)}`,
  /** a router's external gateway inside its qrouter- namespace */
  routerGateway: (portId: string) => `qg-${portId.slice(0, DEVICE_ID_CHARS)}`,
} as const;

export const namespaceNames = {
  dhcp: (networkId: string) => `qdhcp-${networkId}`,
  router: (routerId: string) => `qrouter-${routerId}`,
} as const;

/** The peer of a veth whose other end is `inside` (moved into a namespace): the end left on the bridge. */
export function bridgeSideOf(portId: string): string {
  return deviceNames.tap(portId);
}

export interface FixedIp {
  subnetId: string;
  ipAddress: string;
}

export interface SubnetState {
  id: string;
  networkId: string;
  cidr: string;
  ipVersion: 4 | 6;
  gatewayIp: string | null;
  enableDhcp: boolean;
  dnsNameservers: string[];
  hostRoutes: Array<{ destination: string; nexthop: string }>;
}

/** One security group rule as the firewall applies it (direction seen from the port). */
export interface FirewallRule {
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  /** null = any; a name (tcp, udp, icmp, ...) or an IP protocol number as a string */
  protocol: string | null;
  portRangeMin: number | null;
  portRangeMax: number | null;
  /** a CIDR, or null */
  remoteIpPrefix: string | null;
  /** the addresses of the remote group's member ports, already expanded; null when no remote group */
  remoteGroupAddresses: string[] | null;
  /** the remote group's id when there is one: lets a firewall keep the group's addresses in one kernel set, updated in place */
  remoteGroupId?: string | null;
}

/** A port bound to a compute host, as the L2 agent wires and filters it. */
export interface HostPortState {
  portId: string;
  networkId: string;
  macAddress: string;
  fixedIps: FixedIp[];
  /** false: no filtering and no anti-spoofing (port_security_enabled = false) */
  portSecurityEnabled: boolean;
  allowedAddressPairs: Array<{ ipAddress: string; macAddress: string }>;
  /** the union of the port's groups' rules; empty with port security on = deny all inbound, deny all outbound */
  rules: FirewallRule[];
  mtu: number;
}

export interface DhcpHostEntry {
  portId: string;
  macAddress: string;
  ipAddress: string;
  /** DNS name given to the guest (Nova's hostname, or host-<ip-dashed>) */
  hostname: string;
}

/** One port's share of what DHCP serves: its entries on its network's DHCP-enabled subnets. */
export interface DhcpPortEntries {
  networkId: string;
  /** a DHCP port (device_owner network:dhcp), whose addresses the namespace holds */
  dhcpPort: boolean;
  hosts: DhcpHostEntry[];
}

/** A network with at least one DHCP-enabled subnet, as the DHCP agent serves it. */
export interface DhcpNetworkState {
  networkId: string;
  mtu: number;
  /** the network's DHCP port (device_owner network:dhcp), which owns the namespace's address */
  dhcpPort: { portId: string; macAddress: string; fixedIps: FixedIp[] };
  subnets: SubnetState[];
  hosts: DhcpHostEntry[];
  /** serve 169.254.169.254 from the namespace (Neutron's isolated metadata) */
  metadata: boolean;
}

export interface RouterInterfaceState {
  portId: string;
  networkId: string;
  macAddress: string;
  /** addresses with prefix length, e.g. 10.0.0.1/24 */
  cidrs: string[];
}

export interface FloatingIpState {
  id: string;
  floatingIpAddress: string;
  fixedIpAddress: string;
}

export interface RouterState {
  routerId: string;
  adminStateUp: boolean;
  gateway: (RouterInterfaceState & { gatewayIp: string | null; enableSnat: boolean }) | null;
  interfaces: RouterInterfaceState[];
  floatingIps: FloatingIpState[];
}
