/**
 * The rules a subnet's addressing must satisfy (Neutron's subnet validation):
 * a network-form cidr, a gateway inside it, pools inside it that neither
 * overlap each other nor hold the gateway, and well-formed DNS servers and
 * host routes.
 */
import { BadRequest } from '../errors.js';
import {
  cidrContains, formatCidr, formatIpv4, parseCidr, parseIpv4, rangesOverlap, usableRange, type IpRange, type Ipv4Cidr,
} from './ipv4.js';
import { defaultPools, type AllocationPool } from './ipam.js';
import {
  gatewayConflictsWithPool, invalidAttribute, invalidInput, invalidPool, outOfBoundsPool, overlappingPools,
} from './errors.js';
import type { HostRoute } from './model.js';

/** Neutron's max_dns_nameservers default. */
export const MAX_DNS_NAMESERVERS = 5;
/** Neutron's max_subnet_host_routes default. */
export const MAX_HOST_ROUTES = 20;

export function checkCidr(text: string): Ipv4Cidr {
  const parsed = parseCidr(text);
  if (!parsed.ok) {
    if (parsed.reason === 'host-bits') {
      throw invalidAttribute('cidr', `'${text}' isn't a recognized IP subnet cidr, '${parsed.recommended}' is recommended`);
    }
    throw invalidAttribute('cidr', `'${text}' is not a valid IP subnet`);
  }
  if (parsed.cidr.prefix === 0) throw invalidInput(`0.0.0.0/0 is not allowed as a subnet cidr`);
  return parsed.cidr;
}

/** The gateway to store: the first host when not given, null when explicitly none. */
export function checkGateway(cidr: Ipv4Cidr, gateway: string | null | undefined): number | null {
  if (gateway === null) return null;
  if (gateway === undefined) {
    const usable = usableRange(cidr);
    return usable ? usable.first : null;
  }
  const ip = parseIpv4(gateway);
  if (ip === null) throw invalidAttribute('gateway_ip', `'${gateway}' is not a valid IP address`);
  const usable = usableRange(cidr);
  if (!usable || ip < usable.first || ip > usable.last) throw invalidInput('Gateway is not valid on subnet');
  return ip;
}

function poolText(p: AllocationPool): string {
  return `${p.start}-${p.end}`;
}

/** Validated pools, sorted. Explicit pools must not contain the gateway; default pools leave it out. */
export function checkPools(cidr: Ipv4Cidr, gateway: number | null, pools: AllocationPool[] | undefined): AllocationPool[] {
  if (pools === undefined) return defaultPools(cidr, gateway);
  const ranges: Array<IpRange & { pool: AllocationPool }> = [];
  const usable = usableRange(cidr)!;
  for (const pool of pools) {
    const first = parseIpv4(pool.start);
    const last = parseIpv4(pool.end);
    if (first === null || last === null || first > last) throw invalidPool(poolText(pool));
    if (!cidrContains(cidr, first) || !cidrContains(cidr, last) || first < usable.first || last > usable.last) {
      throw outOfBoundsPool(poolText(pool), formatCidr(cidr));
    }
    ranges.push({ first, last, pool: { start: formatIpv4(first), end: formatIpv4(last) } });
  }
  ranges.sort((a, b) => a.first - b.first);
  for (let i = 1; i < ranges.length; i++) {
    if (rangesOverlap(ranges[i - 1]!, ranges[i]!)) {
      throw overlappingPools(poolText(ranges[i - 1]!.pool), poolText(ranges[i]!.pool), formatCidr(cidr));
    }
  }
  if (gateway !== null) {
    const holder = ranges.find((r) => gateway >= r.first && gateway <= r.last);
    if (holder) throw gatewayConflictsWithPool(formatIpv4(gateway), poolText(holder.pool));
  }
  return ranges.map((r) => r.pool);
}

export function checkNameservers(servers: string[]): string[] {
  if (servers.length > MAX_DNS_NAMESERVERS) {
    throw new BadRequest(`Unable to complete operation for the subnet. The number of DNS nameservers exceeds the limit ${MAX_DNS_NAMESERVERS}.`, { type: 'DNSNameServersExhausted' });
  }
  const seen = new Set<string>();
  for (const s of servers) {
    if (parseIpv4(s) === null) throw invalidAttribute('dns_nameservers', `'${s}' is not a valid nameserver`);
    if (seen.has(s)) throw invalidAttribute('dns_nameservers', `Duplicate nameserver '${s}'`);
    seen.add(s);
  }
  return servers;
}

export function checkHostRoutes(routes: HostRoute[]): HostRoute[] {
  if (routes.length > MAX_HOST_ROUTES) {
    throw new BadRequest(`Unable to complete operation for the subnet. The number of host routes exceeds the limit ${MAX_HOST_ROUTES}.`, { type: 'HostRoutesExhausted' });
  }
  const seen = new Set<string>();
  return routes.map((r) => {
    const dest = parseCidr(r.destination);
    if (!dest.ok) throw invalidAttribute('host_routes', `'${r.destination}' is not a valid IP subnet`);
    if (parseIpv4(r.nexthop) === null) throw invalidAttribute('host_routes', `'${r.nexthop}' is not a valid IP address`);
    const key = `${r.destination}|${r.nexthop}`;
    if (seen.has(key)) throw invalidAttribute('host_routes', `Duplicate hostroute '${r.destination}'`);
    seen.add(key);
    return { destination: r.destination, nexthop: r.nexthop };
  });
}
