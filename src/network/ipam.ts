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

/**
 * Where this process believes the free addresses of a subnet begin: every
 * pool address below the floor was allocated when it was last looked at.
 * It turns "lowest free address" into one index probe in the common case.
 * It is advice only — the search falls back to the whole range before it
 * reports exhaustion, uniqueness is the database's — and it is forgotten
 * after a while so that addresses freed by other processes are reused.
 */
export class AddressHints {
  private readonly floors = new Map<string, { floor: number; since: number }>();
  constructor(private readonly ttlMs = 10_000) {}

  floor(subnetId: string): number | null {
    const h = this.floors.get(subnetId);
    if (!h) return null;
    if (Date.now() - h.since > this.ttlMs) {
      this.floors.delete(subnetId);
      return null;
    }
    return h.floor;
  }

  /** `ip` was just taken and nothing below it is free (as of `fullScan`, or of the hint's own scan). */
  advance(subnetId: string, ip: number, fullScan: boolean): void {
    const h = this.floors.get(subnetId);
    this.floors.set(subnetId, { floor: ip + 1, since: fullScan || !h ? Date.now() : h.since });
  }

  /** This process freed `ip`: it is the lowest free one if below the floor. */
  lower(subnetId: string, ip: number): void {
    const h = this.floors.get(subnetId);
    if (h && ip < h.floor) h.floor = ip;
  }

  forget(subnetId: string): void {
    this.floors.delete(subnetId);
  }
}

/** The lowest address of the ranges (at or above `from`) no allocation holds, or null. */
export async function lowestFreeAddress(trx: Tx, subnetId: string, ranges: readonly IpRange[], from = 0): Promise<number | null> {
  for (const range of ranges) {
    if (range.last < from) continue;
    const first = Math.max(range.first, from);
    const last = range.last;
    // Either the first address is free, or the answer follows the first
    // allocated address whose successor is not allocated. The ordered index
    // walk stops at that gap, and its plan does not depend on table statistics.
    const { rows } = await sql<{ ip: number | string | null }>`
      select case
        when not exists (select 1 from neutron_ip_allocations where subnet_id = ${subnetId} and ip_int = ${first})
          then cast(${first} as bigint)
        else (select t.ip_int + 1 from (
                select ip_int, lead(ip_int) over (order by ip_int) as nxt
                from neutron_ip_allocations
                where subnet_id = ${subnetId} and ip_int >= ${first} and ip_int <= ${last}) t
              where (t.nxt is null or t.nxt <> t.ip_int + 1) and t.ip_int < ${last}
              order by t.ip_int limit 1)
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
async function allocateAny(trx: Tx, portId: string, subnet: SubnetRow, hints: AddressHints): Promise<number | null> {
  const ranges = allocatableRanges(subnet);
  for (let attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
    const floor = hints.floor(subnet.id);
    let fullScan = false;
    let ip = floor === null ? null : await lowestFreeAddress(trx, subnet.id, ranges, floor);
    if (ip === null) {
      fullScan = true;
      ip = await lowestFreeAddress(trx, subnet.id, ranges);
    }
    if (ip === null) return null;
    if (await insertAllocation(trx, portId, subnet, ip)) {
      hints.advance(subnet.id, ip, fullScan);
      return ip;
    }
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
  hints: AddressHints,
): Promise<AllocatedIp[]> {
  const out: AllocatedIp[] = [];
  if (auto) {
    const v4 = subnets.filter((s) => s.ip_version === 4);
    if (v4.length === 0) return out;
    for (const subnet of v4) {
      const ip = await allocateAny(trx, portId, subnet, hints);
      if (ip !== null) return [{ subnet_id: subnet.id, ip_address: formatIpv4(ip) }];
    }
    throw ipGenerationFailure(networkId);
  }
  for (const { subnet, ip } of resolved) {
    if (ip === null) {
      const got = await allocateAny(trx, portId, subnet, hints);
      if (got === null) throw ipGenerationFailure(networkId);
      out.push({ subnet_id: subnet.id, ip_address: formatIpv4(got) });
    } else {
      if (!(await insertAllocation(trx, portId, subnet, ip))) throw ipAlreadyAllocated(formatIpv4(ip), subnet.id);
      out.push({ subnet_id: subnet.id, ip_address: formatIpv4(ip) });
    }
  }
  return out;
}
