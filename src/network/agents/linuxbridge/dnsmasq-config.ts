/**
 * What dnsmasq is told for one network, as text: its command line and the
 * three files it reads (hosts, additional hosts, options), following
 * Neutron's Dnsmasq driver. Pure functions of the desired state, so the
 * driver can compare what it would write with what runs, and decide between
 * leaving dnsmasq alone, a SIGHUP (hosts and options are re-read on HUP) and
 * a restart (its command line changed).
 */
import { cidrContains, formatIpv4, parseCidr, parseIpv4, type Ipv4Cidr } from '../../ipv4.js';
import type { DhcpNetworkState, SubnetState } from '../state.js';

export const METADATA_ADDRESS = '169.254.169.254';
const METADATA_CIDR = `${METADATA_ADDRESS}/32`;
const DEFAULT_ROUTE = '0.0.0.0/0';
/** Neutron's dhcp_lease_duration default. */
export const DEFAULT_LEASE_SECONDS = 86_400;
/** Neutron's dnsmasq_lease_max: caps the lease count of very large subnets. */
const LEASE_MAX_CAP = 2 ** 24;
/** Windows 2003 reads classless routes from this private option instead of 121 (Neutron sends both). */
const WIN2K3_STATIC_ROUTES = '249';

export interface DnsmasqFiles {
  dir: string;
  pidFile: string;
  hostsFile: string;
  addnHostsFile: string;
  optsFile: string;
}

export function dnsmasqFiles(dir: string): DnsmasqFiles {
  return {
    dir,
    pidFile: `${dir}/pid`,
    hostsFile: `${dir}/host`,
    addnHostsFile: `${dir}/addn_hosts`,
    optsFile: `${dir}/opts`,
  };
}

export const subnetTag = (subnetId: string) => `subnet-${subnetId}`;

/** The IPv4 subnets dnsmasq hands addresses out on, with their parsed CIDRs. */
export function dhcpSubnets(network: DhcpNetworkState): Array<{ subnet: SubnetState; cidr: Ipv4Cidr }> {
  const out: Array<{ subnet: SubnetState; cidr: Ipv4Cidr }> = [];
  for (const subnet of network.subnets) {
    if (!subnet.enableDhcp || subnet.ipVersion !== 4) continue;
    const parsed = parseCidr(subnet.cidr);
    if (parsed.ok) out.push({ subnet, cidr: parsed.cidr });
  }
  return out;
}

function netmask(prefix: number): string {
  return formatIpv4(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
}

export interface DnsmasqCommandOptions {
  binary: string;
  interfaceName: string;
  leaseSeconds: number;
}

/** The argv dnsmasq runs with (inside the namespace); a difference from the running one means a restart. */
export function dnsmasqCommand(network: DhcpNetworkState, files: DnsmasqFiles, opts: DnsmasqCommandOptions): string[] {
  const argv = [
    opts.binary,
    '--no-hosts',
    // Names resolve only from what we write, never from the host's resolv.conf.
    '--no-resolv',
    `--pid-file=${files.pidFile}`,
    `--dhcp-hostsfile=${files.hostsFile}`,
    `--addn-hosts=${files.addnHostsFile}`,
    `--dhcp-optsfile=${files.optsFile}`,
    // Every address is static (one host entry per port), so nothing is lost with the leases.
    '--leasefile-ro',
    // Never the host's /etc/dnsmasq.conf.
    '--conf-file=/dev/null',
    '--bind-interfaces',
    `--interface=${opts.interfaceName}`,
    '--except-interface=lo',
    '--dhcp-authoritative',
  ];
  let possibleLeases = 0;
  for (const { subnet, cidr } of dhcpSubnets(network)) {
    argv.push(`--dhcp-range=set:${subnetTag(subnet.id)},${formatIpv4(cidr.network)},static,${netmask(cidr.prefix)},${opts.leaseSeconds}s`);
    possibleLeases += cidr.broadcast - cidr.network + 1;
  }
  // Forced, as Neutron does: clients that do not ask for the MTU (busybox udhcpc) still get it.
  if (network.mtu > 0) argv.push(`--dhcp-option-force=option:mtu,${network.mtu}`);
  argv.push(`--dhcp-lease-max=${Math.min(possibleLeases, LEASE_MAX_CAP)}`);
  return argv;
}

/** A hostname dnsmasq accepts: one DNS label. Neutron's default name when nothing usable is left. */
export function dnsLabel(hostname: string, ipAddress: string): string {
  const label = (hostname.split('.')[0] ?? '').replace(/[^A-Za-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  return label || `host-${ipAddress.replace(/[.:]/g, '-')}`;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** Host entries dnsmasq can serve: a valid MAC and an address in a DHCP-enabled IPv4 subnet. */
function servedHosts(network: DhcpNetworkState): Array<{ mac: string; name: string; ip: string }> {
  const subnets = dhcpSubnets(network);
  const out: Array<{ mac: string; name: string; ip: string }> = [];
  for (const host of network.hosts) {
    const mac = host.macAddress.toLowerCase();
    const ip = parseIpv4(host.ipAddress);
    if (!MAC.test(mac) || ip === null || !subnets.some((s) => cidrContains(s.cidr, ip))) continue;
    out.push({ mac, name: dnsLabel(host.hostname, host.ipAddress), ip: host.ipAddress });
  }
  return out;
}

/** --dhcp-hostsfile: `mac,name,ip` per port address; a MAC not listed gets no lease (static ranges). */
export function hostsFileText(network: DhcpNetworkState): string {
  return servedHosts(network).map((h) => `${h.mac},${h.name},${h.ip}\n`).join('');
}

/**
 * The (MAC, address) pairs a hosts file serves. dnsmasq keeps a lease for a
 * pair after the pair leaves the file, and refuses that address to any other
 * MAC until it expires; Neutron releases such leases with dhcp_release, which
 * dnsmasq-base does not ship, so the driver restarts dnsmasq instead
 * (`--leasefile-ro`: leases live only in its memory).
 */
export function leasedPairs(hostsText: string): Set<string> {
  const pairs = new Set<string>();
  for (const line of hostsText.split('\n')) {
    const [mac, , ip] = line.split(',');
    if (mac && ip) pairs.add(`${mac},${ip}`);
  }
  return pairs;
}

/** --addn-hosts: what dnsmasq's DNS answers for the network's names, as an /etc/hosts file. */
export function addnHostsFileText(network: DhcpNetworkState): string {
  return servedHosts(network).map((h) => `${h.ip}\t${h.name}\n`).join('');
}

/** The DHCP port's address on a subnet: where the guests reach the metadata proxy. */
function dhcpPortAddress(network: DhcpNetworkState, subnetId: string): string | undefined {
  return network.dhcpPort.fixedIps.find((f) => f.subnetId === subnetId && parseIpv4(f.ipAddress) !== null)?.ipAddress;
}

/** --dhcp-optsfile: per subnet the DNS servers, the classless routes and the router. */
export function optsFileText(network: DhcpNetworkState): string {
  const lines: string[] = [];
  const subnets = dhcpSubnets(network);
  const option = (subnetId: string, name: string, ...values: string[]) => {
    const code = /^\d+$/.test(name) ? name : `option:${name}`;
    lines.push([`tag:${subnetTag(subnetId)}`, code, ...values].join(','));
  };
  for (const { subnet } of subnets) {
    // Without servers of its own, dnsmasq offers itself as the DNS server.
    if (subnet.dnsNameservers.length > 0) option(subnet.id, 'dns-server', subnet.dnsNameservers.join(','));

    let gateway = subnet.gatewayIp;
    const routes: string[] = [];
    for (const route of subnet.hostRoutes) {
      if (route.destination === DEFAULT_ROUTE) gateway ??= route.nexthop;
      else routes.push(`${route.destination},${route.nexthop}`);
    }
    const metadataVia = network.metadata ? dhcpPortAddress(network, subnet.id) : undefined;
    if (metadataVia) routes.push(`${METADATA_CIDR},${metadataVia}`);
    // The network's other IPv4 subnets are on-link (Neutron: "cidr,0.0.0.0" first).
    for (const other of network.subnets) {
      if (other.ipVersion === 4 && other.cidr !== subnet.cidr) routes.unshift(`${other.cidr},0.0.0.0`);
    }
    if (routes.length > 0) {
      // A client given option 121 ignores option 3 (RFC 3442), so the default route goes in too.
      if (gateway) routes.push(`${DEFAULT_ROUTE},${gateway}`);
      option(subnet.id, 'classless-static-route', routes.join(','));
      option(subnet.id, WIN2K3_STATIC_ROUTES, routes.join(','));
    }
    // An empty router option tells the client there is none (no default route through the DHCP server).
    if (gateway) option(subnet.id, 'router', gateway);
    else option(subnet.id, 'router');
  }
  return lines.map((l) => `${l}\n`).join('');
}

/** The addresses the DHCP port holds in the namespace, with their subnets' prefix lengths. */
export function dhcpPortCidrs(network: DhcpNetworkState): string[] {
  const out: string[] = [];
  for (const fixed of network.dhcpPort.fixedIps) {
    const subnet = network.subnets.find((s) => s.id === fixed.subnetId);
    const prefix = subnet?.cidr.split('/')[1];
    if (prefix !== undefined) out.push(`${fixed.ipAddress}/${prefix}`);
  }
  // Isolated metadata: the proxy listens on 169.254.169.254 in the namespace.
  if (network.metadata) out.push(METADATA_CIDR);
  return out;
}
