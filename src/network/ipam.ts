/**
 * IP address management for IPv4 subnets: which addresses a port may have,
 * and handing out the lowest free one.
 *
 * Uniqueness is the database's job (primary key subnet_id + ip_address).
 * Inserts use ON CONFLICT DO NOTHING, so losing a race never aborts the
 * surrounding transaction (PostgreSQL would), and the allocator simply looks
 * again. Callers serialize allocations on one network within the process
 * (KeyedMutex), so retries only happen between processes.
 */
import { sql, type Kysely } from 'kysely';
import type { NetworkTables, SubnetRow } from './tables.js';
import {
  excludeAddress, formatIpv4, parseCidr, parseIpv4, cidrContains, usableRange, type IpRange, type Ipv4Cidr,
} from './ipv4.js';
import {
  invalidInput, invalidIpForNetwork, invalidIpForSubnet, ipAlreadyAllocated, ipGenerationFailure,
} from './errors.js';

export interface AllocationPool { start: string; end: string }

/** What a caller asks for: Neutron's fixed_ips entries. */
export interface FixedIpRequest { subnet_id?: string; ip_address?: string }

/** A request checked against the network's subnets: an address, or "any address from this subnet". */
export interface ResolvedFixedIp { subnet: SubnetRow; ip: number | null }

export interface AllocatedIp { subnet_id: string; ip_address: string }

/** The caller's transaction (or, for single statements, the database). */
type Tx = Kysely<NetworkTables>;

/** How many times an allocator looks again after another process took the address it chose. */
const MAX_RACE_RETRIES = 64;

export function subnetCidr(subnet: SubnetRow): Ipv4Cidr {
  const parsed = parseCidr(subnet.cidr);
  if (!parsed.ok) throw new Error(`stored subnet ${subnet.id} has an invalid cidr`);
  return parsed.cidr;
}

export function poolsOf(subnet: SubnetRow): AllocationPool[] {
  return JSON.parse(subnet.allocation_pools) as AllocationPool[];
}

/** The ranges auto-allocation draws from: the pools, sorted, never including the gateway. */
export function allocatableRanges(subnet: SubnetRow): IpRange[] {
  const ranges = poolsOf(subnet)
    .map((p) => ({ first: parseIpv4(p.start)!, last: parseIpv4(p.end)! }))
    .sort((a, b) => a.first - b.first);
  return excludeAddress(ranges, subnet.gateway_ip === null ? null : parseIpv4(subnet.gateway_ip));
}

/** Neutron's default pools: every usable address of the cidr but the gateway. */
export function defaultPools(cidr: Ipv4Cidr, gateway: number | null): AllocationPool[] {
  const usable = usableRange(cidr);
  if (!usable) return [];
  return excludeAddress([usable], gateway).map((r) => ({ start: formatIpv4(r.first), end: formatIpv4(r.last) }));
}

/**
 * Check fixed_ips against the network's subnets. Without any request a port
 * gets one address from the first IPv4 subnet that has room, as Neutron does.
 */
export function resolveFixedIps(
  networkId: string, subnets: readonly SubnetRow[], requested: readonly FixedIpRequest[] | undefined,
  opts: { allowGateway?: boolean } = {},
): ResolvedFixedIp[] {
  if (requested === undefined) return [];
  const out: ResolvedFixedIp[] = [];
  const seen = new Set<string>();
  for (const req of requested) {
    let subnet: SubnetRow | undefined;
    if (req.subnet_id !== undefined) {
      subnet = subnets.find((s) => s.id === req.subnet_id);
      if (!subnet) {
        throw invalidInput(`Failed to create port on network ${networkId}, because fixed_ips included invalid subnet ${req.subnet_id}`);
      }
    }
    if (req.ip_address === undefined) {
      if (!subnet) throw invalidInput('IP allocation requires subnet_id or ip_address');
      out.push({ subnet, ip: null });
      continue;
    }
    const ip = parseIpv4(req.ip_address);
    if (ip === null) throw invalidIpForSubnet(req.ip_address);
    if (!subnet) {
      subnet = subnets.find((s) => cidrContains(subnetCidr(s), ip));
      if (!subnet) throw invalidIpForNetwork(req.ip_address);
    }
    const cidr = subnetCidr(subnet);
    const usable = usableRange(cidr);
    if (!usable || ip < usable.first || ip > usable.last) throw invalidIpForSubnet(req.ip_address);
    if (!opts.allowGateway && subnet.gateway_ip !== null && parseIpv4(subnet.gateway_ip) === ip) {
      throw ipAlreadyAllocated(req.ip_address, subnet.id);
    }
    const key = `${subnet.id}/${ip}`;
    if (seen.has(key)) throw invalidInput(`Duplicate IP address ${req.ip_address} in fixed_ips`);
    seen.add(key);
    out.push({ subnet, ip });
  }
  return out;
}

/** The lowest address of the ranges no allocation holds, or null when the ranges are full. */
export async function lowestFreeAddress(trx: Tx, subnetId: string, ranges: readonly IpRange[]): Promise<number | null> {
  for (const { first, last } of ranges) {
    // Either the range's first address is free, or the lowest free one sits
    // right after an allocated address whose successor is not allocated.
    const { rows } = await sql<{ ip: number | string | null }>`
      select case
        when not exists (select 1 from neutron_ip_allocations where subnet_id = ${subnetId} and ip_int = ${first})
          then cast(${first} as bigint)
        else (select min(a.ip_int + 1) from neutron_ip_allocations a
              where a.subnet_id = ${subnetId} and a.ip_int >= ${first} and a.ip_int < ${last}
                and not exists (select 1 from neutron_ip_allocations b
                                where b.subnet_id = a.subnet_id and b.ip_int = a.ip_int + 1))
      end as ip`.execute(trx);
    const ip = rows[0]?.ip;
    if (ip !== null && ip !== undefined) return Number(ip);
  }
  return null;
}

async function insertAllocation(trx: Tx, portId: string, subnet: SubnetRow, ip: number): Promise<boolean> {
  const result = await trx.insertInto('neutron_ip_allocations')
    .values({ port_id: portId, subnet_id: subnet.id, network_id: subnet.network_id, ip_address: formatIpv4(ip), ip_int: ip })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Allocate one address from the subnet's pools; null when they are exhausted. */
async function allocateAny(trx: Tx, portId: string, subnet: SubnetRow): Promise<number | null> {
  const ranges = allocatableRanges(subnet);
  for (let attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
    const ip = await lowestFreeAddress(trx, subnet.id, ranges);
    if (ip === null) return null;
    if (await insertAllocation(trx, portId, subnet, ip)) return ip;
  }
  throw ipGenerationFailure(subnet.network_id);
}

/**
 * Give the port its addresses inside the caller's transaction. `resolved`
 * empty means "one address from the first subnet with room"; `subnets` are the
 * network's subnets in creation order.
 */
export async function allocatePortAddresses(
  trx: Tx, portId: string, networkId: string, subnets: readonly SubnetRow[], resolved: readonly ResolvedFixedIp[], auto: boolean,
): Promise<AllocatedIp[]> {
  const out: AllocatedIp[] = [];
  if (auto) {
    const v4 = subnets.filter((s) => s.ip_version === 4);
    if (v4.length === 0) return out;
    for (const subnet of v4) {
      const ip = await allocateAny(trx, portId, subnet);
      if (ip !== null) return [{ subnet_id: subnet.id, ip_address: formatIpv4(ip) }];
    }
    throw ipGenerationFailure(networkId);
  }
  for (const { subnet, ip } of resolved) {
    if (ip === null) {
      const got = await allocateAny(trx, portId, subnet);
      if (got === null) throw ipGenerationFailure(networkId);
      out.push({ subnet_id: subnet.id, ip_address: formatIpv4(got) });
    } else {
      if (!(await insertAllocation(trx, portId, subnet, ip))) throw ipAlreadyAllocated(formatIpv4(ip), subnet.id);
      out.push({ subnet_id: subnet.id, ip_address: formatIpv4(ip) });
    }
  }
  return out;
}
