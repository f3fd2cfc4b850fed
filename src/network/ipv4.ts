/**
 * IPv4 address arithmetic. Addresses are handled as unsigned integers so that
 * ranges compare and sort the same in JavaScript and in SQL (ip_int columns).
 */

export interface Ipv4Cidr {
  /** Network address as an integer. */
  network: number;
  prefix: number;
  /** Broadcast (last) address as an integer. */
  broadcast: number;
}

export interface IpRange {
  first: number;
  last: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** The integer of a dotted-quad address, or null when it is not one. */
export function parseIpv4(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part)) return null;
    value = value * 256 + Number(part);
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

export function isIpv4(text: unknown): text is string {
  return parseIpv4(text) !== null;
}

/** True for text that looks like an IPv6 address (we only tell it apart to refuse it clearly). */
export function looksLikeIpv6(text: unknown): boolean {
  return typeof text === 'string' && text.includes(':');
}

export type CidrParse =
  | { ok: true; cidr: Ipv4Cidr }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'host-bits'; recommended: string };

/** Parse "a.b.c.d/n". Host bits set is an error of its own, as Neutron tells the caller the network form. */
export function parseCidr(text: unknown): CidrParse {
  if (typeof text !== 'string') return { ok: false, reason: 'invalid' };
  const slash = text.indexOf('/');
  if (slash < 0) return { ok: false, reason: 'invalid' };
  const address = parseIpv4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === null || !/^\d{1,2}$/.test(prefixText)) return { ok: false, reason: 'invalid' };
  const prefix = Number(prefixText);
  if (prefix > 32) return { ok: false, reason: 'invalid' };
  const size = 2 ** (32 - prefix);
  const network = Math.floor(address / size) * size;
  if (network !== address) return { ok: false, reason: 'host-bits', recommended: `${formatIpv4(network)}/${prefix}` };
  return { ok: true, cidr: { network, prefix, broadcast: network + size - 1 } };
}

export function formatCidr(cidr: Ipv4Cidr): string {
  return `${formatIpv4(cidr.network)}/${cidr.prefix}`;
}

export function cidrContains(cidr: Ipv4Cidr, ip: number): boolean {
  return ip >= cidr.network && ip <= cidr.broadcast;
}

export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.network <= b.broadcast && b.network <= a.broadcast;
}

/**
 * The addresses a port may be given: all but the network and broadcast
 * addresses, except on /31 and /32 where every address is a host (RFC 3021).
 */
export function usableRange(cidr: Ipv4Cidr): IpRange | null {
  if (cidr.prefix >= 31) return { first: cidr.network, last: cidr.broadcast };
  return { first: cidr.network + 1, last: cidr.broadcast - 1 };
}

/** Remove one address from a set of ranges (the gateway from the pools). */
export function excludeAddress(ranges: readonly IpRange[], ip: number | null): IpRange[] {
  if (ip === null) return [...ranges];
  const out: IpRange[] = [];
  for (const r of ranges) {
    if (ip < r.first || ip > r.last) { out.push(r); continue; }
    if (r.first <= ip - 1) out.push({ first: r.first, last: ip - 1 });
    if (ip + 1 <= r.last) out.push({ first: ip + 1, last: r.last });
  }
  return out;
}

export function rangesOverlap(a: IpRange, b: IpRange): boolean {
  return a.first <= b.last && b.first <= a.last;
}
