/**
 * Allowed address pairs (Neutron's allowed-address-pairs extension): other
 * (MAC, IP or CIDR) pairs a port may send from besides its own, for VRRP
 * addresses and the like. Checked as neutron-lib's validator checks them, in
 * its order, so the first fault a client sees is the one Neutron would give.
 */
import { isIP } from 'node:net';
import { BadRequest, Conflict } from '../errors.js';

export interface AddressPair {
  ip_address: string;
  mac_address: string;
}

/** What a request gave: mac_address is optional until the port's MAC fills it in. */
export interface AddressPairRequest {
  ip_address: string;
  mac_address?: string;
}

/** Neutron's [DEFAULT] max_allowed_address_pair default. */
export const MAX_ALLOWED_ADDRESS_PAIRS = 10;

const MAC = /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/;
const INVALID_MACS = new Set(['00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff']);

export const addressPairExhausted = (max: number) => new BadRequest(
  `The number of allowed address pair exceeds the maximum ${max}.`, { type: 'AllowedAddressPairExhausted' });

export const addressPairMissingIp = () => new BadRequest(
  'AllowedAddressPair must contain ip_address', { type: 'AllowedAddressPairsMissingIP' });

export const duplicateAddressPair = (mac: string | undefined, ip: string) => new BadRequest(
  `Request contains duplicate address pair: mac_address ${mac ?? 'None'} ip_address ${ip}.`, { type: 'DuplicateAddressPairInRequest' });

export const addressPairNeedsPortSecurity = () => new Conflict(
  'Port Security must be enabled in order to have allowed address pairs on a port.', { type: 'AddressPairAndPortSecurityRequired' });

/** An IPv4 or IPv6 address; Node takes an IPv6 zone (fe80::1%eth0), which no iptables rule can hold, so it is refused. */
function validIpAddress(text: string): boolean {
  return isIP(text) !== 0 && !text.includes('%');
}

/** An address with a prefix length that fits its family ("10.0.0.5/24" is a subnet to Neutron too). */
function validSubnet(text: string): boolean {
  const slash = text.indexOf('/');
  const family = validIpAddress(text.slice(0, slash)) ? isIP(text.slice(0, slash)) : 0;
  const prefix = text.slice(slash + 1);
  return family !== 0 && /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * The pairs of a request body, checked; null (Neutron's convert_none_to_empty_list) is no pairs.
 * Each entry is already known to be an object (the request schema says so).
 */
export function checkAddressPairs(value: unknown, max = MAX_ALLOWED_ADDRESS_PAIRS): AddressPairRequest[] {
  if (value === null) return [];
  if (!Array.isArray(value)) throw new BadRequest('Allowed address pairs must be a list.');
  if (value.length > max) throw addressPairExhausted(max);
  const seen = new Set<string>();
  const out: AddressPairRequest[] = [];
  for (const pair of value as Array<Record<string, unknown>>) {
    const mac = pair.mac_address;
    if (mac !== undefined && (typeof mac !== 'string' || !MAC.test(mac) || INVALID_MACS.has(mac.toLowerCase()))) {
      throw new BadRequest(`'${String(mac)}' is not a valid MAC address`);
    }
    const ip = pair.ip_address;
    if (ip === undefined) throw addressPairMissingIp();
    const key = `${mac ?? ''}|${String(ip)}`;
    if (seen.has(key)) throw duplicateAddressPair(mac as string | undefined, String(ip));
    seen.add(key);
    const unknown = Object.keys(pair).filter((k) => k !== 'mac_address' && k !== 'ip_address');
    if (unknown.length > 0) throw new BadRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
    if (typeof ip !== 'string') throw new BadRequest(`'${String(ip)}' is not a valid IP address`);
    if (ip.includes('/') ? !validSubnet(ip) : !validIpAddress(ip)) {
      throw new BadRequest(ip.includes('/') ? `'${ip}' is not a valid IP subnet` : `'${ip}' is not a valid IP address`);
    }
    out.push(mac === undefined ? { ip_address: ip } : { ip_address: ip, mac_address: mac as string });
  }
  return out;
}

/**
 * The pairs as stored: a pair without a MAC takes the port's. Two entries
 * that become one then (one naming the port's MAC, one leaving it out) are
 * the duplicate Neutron's unique key reports.
 */
export function withPortMac(pairs: readonly AddressPairRequest[], portMac: string): AddressPair[] {
  const seen = new Set<string>();
  return pairs.map((p) => {
    const pair = { ip_address: p.ip_address, mac_address: p.mac_address ?? portMac };
    const key = `${pair.mac_address}|${pair.ip_address}`;
    if (seen.has(key)) throw duplicateAddressPair(pair.mac_address, pair.ip_address);
    seen.add(key);
    return pair;
  });
}
