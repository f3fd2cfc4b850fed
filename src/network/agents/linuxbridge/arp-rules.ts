/**
 * The text of ARP spoofing protection in nftables' bridge family, as
 * Neutron's linuxbridge agent has it with ebtables (`prevent_arp_spoofing`):
 * an ARP frame a guest's tap brings into the bridge passes only when it
 * speaks for one of the port's IPv4 addresses (fixed IPs, allowed address
 * pairs) from that address's MAC; everything else the tap's ARP says is
 * dropped. ARP needs no conntrack, which the bridge family lacks here.
 *
 * One table holds it all:
 *   map ports        tap name → jump to the tap's chain
 *   chain prerouting ARP frames looked up in `ports` by their input port
 *   chain <tap>      the port's accepts, then drop
 * A chain is named by its tap (the whole device name), so a listing after a
 * restart says which taps are protected.
 */
import type { HostPortState } from '../state.js';
import { spoofPairs } from './firewall-rules.js';

export const ARP_TABLE = 'kilonova-arp';
const FAMILY_TABLE = `bridge ${ARP_TABLE}`;
const PORTS_MAP = 'ports';
const BASE_CHAIN = 'prerouting';
/** The base chain's one rule: taps not in the map (other agents' veths, unprotected ports) pass untouched. */
const DISPATCH_RULE = `ether type arp iifname vmap @${PORTS_MAP}`;

/**
 * The sender fields are read at Ethernet/IPv4 offsets: a frame declaring
 * other address lengths would put its real sender elsewhere, so only the
 * ordinary shape is accepted.
 */
const ETHERNET_IPV4 = 'arp htype 1 arp ptype ip arp hlen 6 arp plen 4';

/**
 * The port's chain (its rules, in order), or null when it has none (port
 * security off). A pair's MAC is bound to the pair's addresses, as the
 * iptables anti-spoofing chain binds them. A /0 pair lets its MAC speak for
 * any address (Neutron drops the port's ARP protection altogether then).
 */
export function arpChainRules(port: HostPortState): string[] | null {
  if (!port.portSecurityEnabled) return null;
  const rules = spoofPairs(port, 4).map(([ip, mac]) => {
    const sender = ip.endsWith('/0') ? '' : ` arp saddr ip ${ip}`;
    return `ether saddr ${mac} ${ETHERNET_IPV4} arp saddr ether ${mac}${sender} accept`;
  });
  rules.push('drop');
  return [...new Set(rules)];
}

/** Creates the table, its map and its base chain with the dispatch rule (rewritten whole, so never twice). */
export function setupText(): string {
  return lines([
    `add table ${FAMILY_TABLE}`,
    `add map ${FAMILY_TABLE} ${PORTS_MAP} { type ifname : verdict; }`,
    `add chain ${FAMILY_TABLE} ${BASE_CHAIN} { type filter hook prerouting priority -300; policy accept; }`,
    `flush chain ${FAMILY_TABLE} ${BASE_CHAIN}`,
    `add rule ${FAMILY_TABLE} ${BASE_CHAIN} ${DISPATCH_RULE}`,
  ]);
}

export interface ArpTransaction {
  /** taps whose chain is (re)written; `exists`: the chain may hold rules already, to be replaced */
  write: ReadonlyArray<{ tap: string; rules: readonly string[]; exists: boolean }>;
  /** taps whose chain and map entry go */
  remove: readonly string[];
}

/**
 * One `nft -f -` transaction (all or nothing). A chain not known to exist is
 * not flushed: deleting a rule makes the commit wait for an RCU grace period
 * (~15 ms), which a new port need not. A removal first adds what it deletes,
 * so it holds whatever the kernel has.
 */
export function transactionText(t: ArpTransaction): string {
  const out: string[] = [];
  for (const { tap, rules, exists } of t.write) {
    out.push(`add chain ${FAMILY_TABLE} ${tap}`);
    if (exists) out.push(`flush chain ${FAMILY_TABLE} ${tap}`);
    for (const rule of rules) out.push(`add rule ${FAMILY_TABLE} ${tap} ${rule}`);
    out.push(`add element ${FAMILY_TABLE} ${PORTS_MAP} { "${tap}" : jump ${tap} }`);
  }
  for (const tap of t.remove) {
    out.push(
      `add chain ${FAMILY_TABLE} ${tap}`,
      `add element ${FAMILY_TABLE} ${PORTS_MAP} { "${tap}" : jump ${tap} }`,
      `delete element ${FAMILY_TABLE} ${PORTS_MAP} { "${tap}" }`,
      `flush chain ${FAMILY_TABLE} ${tap}`,
      `delete chain ${FAMILY_TABLE} ${tap}`,
    );
  }
  return lines(out);
}

const lines = (out: readonly string[]): string => [...out, ''].join('\n');

export interface ArpListing {
  /** the base chain dispatches ARP through the map */
  dispatching: boolean;
  /** taps with a chain in the table */
  taps: string[];
}

/** What `nft list table bridge kilonova-arp` shows of ours (empty text: no table). */
export function parseListing(text: string): ArpListing {
  const taps: string[] = [];
  let chain: string | null = null;
  let dispatching = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const m = /^chain (\S+) \{$/.exec(line);
    if (m) {
      chain = m[1]!;
      if (chain !== BASE_CHAIN) taps.push(chain);
    } else if (chain === BASE_CHAIN && line === DISPATCH_RULE) dispatching = true;
  }
  return { dispatching, taps };
}
