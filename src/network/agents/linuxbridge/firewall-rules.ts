/**
 * The text of each port's iptables chains, as Neutron's iptables firewall
 * driver lays them out, computed from the port's desired state alone so the
 * same input always yields the same text (the firewall compares texts to
 * apply only what changed).
 *
 * Per port with port security on, in each of iptables (IPv4) and ip6tables:
 *   neutron-linuxbri-i<key>  traffic bridged towards the guest (ingress rules, default deny)
 *   neutron-linuxbri-o<key>  traffic bridged from the guest (anti-spoofing, DHCP, egress rules)
 *   neutron-linuxbri-s<key>  the guest's own (IP, MAC) pairs; anything else is dropped
 * and the shared dispatch chains send each tap's traffic to them (physdev).
 * `<key>` is the port id's first 10 characters (Neutron's naming), and the
 * dispatch rules name the tap, so chains and taps found in the kernel after a
 * restart are matched up again.
 */
import { createHash } from 'node:crypto';
import { deviceNames, type FirewallRule, type HostPortState } from '../state.js';

export type IpFamily = 4 | 6;

/** iptables chain names stop at 28 characters: Neutron's 17-character prefix, a letter, 10 characters of the port id. */
const KEY_CHARS = 10;
/** Neutron's linuxbridge agent's chain names, so operators and tools find what they know. */
export const CHAIN_PREFIX = 'neutron-linuxbri-';
/** Jumped to from FORWARD: each filtered tap's bridged traffic goes on to the sg-chain. */
export const FORWARD_CHAIN = `${CHAIN_PREFIX}FORWARD`;
/** Jumped to from INPUT: what a guest sends to the host namespace itself passes its egress chain. */
export const INPUT_CHAIN = `${CHAIN_PREFIX}INPUT`;
/** Dispatches to the port chains, then accepts what they returned. */
export const SG_CHAIN = `${CHAIN_PREFIX}sg-chain`;
/** Where a port chain's default deny ends. */
export const FALLBACK_CHAIN = `${CHAIN_PREFIX}sg-fallback`;
/** In the raw table, jumped to from PREROUTING: each tap's traffic tracked in its network's conntrack zone. */
export const ZONE_CHAIN = `${CHAIN_PREFIX}PREROUTING`;

/**
 * The conntrack zone of a network: networks may reuse one another's
 * addresses, and their flows must not meet in one conntrack table (Neutron
 * gives each network a zone too). Derived from the id so every start agrees;
 * two networks on one host share a zone with odds of about 1 in 65 535.
 */
export function zoneOf(networkId: string): number {
  return 1 + (createHash('sha256').update(networkId).digest().readUInt32BE(0) % 65535);
}

/**
 * The raw table's zone chain for the networks of these filtered ports: one
 * rule per bridge. Bridged frames reach PREROUTING with the bridge as their
 * input device, so every port on it — guests' taps, the DHCP port, router
 * interfaces — shares the zone and a reply is tracked where its request was.
 */
export function zoneChainBody(networkIds: Iterable<string>): string[] {
  return [...new Set(networkIds)].sort().map((id) => `-i ${deviceNames.bridge(id)} -j CT --zone ${zoneOf(id)}`);
}

export const portKey = (portId: string): string => portId.slice(0, KEY_CHARS);

export const portChains = (key: string) => ({
  ingress: `${CHAIN_PREFIX}i${key}`,
  egress: `${CHAIN_PREFIX}o${key}`,
  spoof: `${CHAIN_PREFIX}s${key}`,
});

/** Port ids are UUIDs: exactly 10 hex-or-hyphen characters, which no shared chain name has after its letter. */
const PORT_CHAIN_RE = new RegExp(`^${CHAIN_PREFIX}[ios]([0-9a-f-]{${KEY_CHARS}})$`);

/** The port key a chain name belongs to, or null for a chain that is not a port chain of ours. */
export function keyOfChain(chain: string): string | null {
  const m = PORT_CHAIN_RE.exec(chain);
  return m ? m[1]! : null;
}

export const familyOf = (address: string): IpFamily => (address.includes(':') ? 6 : 4);

const ethertypeFamily = (rule: FirewallRule): IpFamily => (rule.ethertype === 'IPv6' ? 6 : 4);

const PROTOCOL_NUMBERS: Record<string, string> = { '1': 'icmp', '6': 'tcp', '17': 'udp', '58': 'ipv6-icmp', '132': 'sctp', '136': 'udplite', '33': 'dccp' };
const PORTED = new Set(['tcp', 'udp', 'sctp', 'udplite', 'dccp']);

/** Neutron's protocol normalisation: numbers to names where known, icmp in an IPv6 rule means ICMPv6. */
function protocolName(protocol: string, family: IpFamily): string {
  const p = PROTOCOL_NUMBERS[protocol] ?? protocol.toLowerCase();
  if (family === 6 && (p === 'icmp' || p === 'icmpv6' || p === 'ipv6-icmp')) return 'ipv6-icmp';
  return p;
}

/** `-p ... -m ... --dport ...` for a rule, or null when the rule cannot apply in this family. */
function protocolArgs(rule: FirewallRule, family: IpFamily): string {
  if (rule.protocol === null || rule.protocol === 'any' || rule.protocol === '') return '';
  const p = protocolName(rule.protocol, family);
  const parts = [`-p ${p}`];
  const min = rule.portRangeMin;
  const max = rule.portRangeMax;
  if (PORTED.has(p) && min !== null) {
    parts.push(`-m ${p}`, `--dport ${max === null || max === min ? min : `${min}:${max}`}`);
  } else if ((p === 'icmp' || p === 'ipv6-icmp') && min !== null) {
    // For ICMP, Neutron stores the type in port_range_min and the code in port_range_max.
    const typeCode = max === null ? `${min}` : `${min}/${max}`;
    parts.push(p === 'icmp' ? `-m icmp --icmp-type ${typeCode}` : `-m icmp6 --icmpv6-type ${typeCode}`);
  }
  return parts.join(' ');
}

const ANY = new Set(['0.0.0.0/0', '::/0']);

/**
 * A remote group's addresses in one family live in an ipset (as Neutron's
 * enable_ipset does), so a rule over a 50-port group is one line per port,
 * and a member joining or leaving changes the set, not the chains.
 */
export interface AddressSet {
  name: string;
  family: IpFamily;
  addresses: string[];
}

export const SET_PREFIX = 'kn';
/** ipset names stop at 31 characters: kn4-<20> leaves room for the swap set's suffix. */
const SET_KEY_CHARS = 20;
export const swapSetName = (name: string): string => `${name}-new`;
const SET_RE = /^kn[46]-[0-9a-f-]{20}$/;
export const isOurSet = (name: string): boolean => SET_RE.test(name);

/** Content hashes by member list: every port of a group names the same set, so a sync hashes each list once. */
const contentKeys = new Map<string, string>();
const CONTENT_KEYS_KEPT = 1000;

function contentKey(members: string): string {
  let key = contentKeys.get(members);
  if (key === undefined) {
    if (contentKeys.size >= CONTENT_KEYS_KEPT) contentKeys.clear();
    key = createHash('sha256').update(members).digest('hex').slice(0, SET_KEY_CHARS);
    contentKeys.set(members, key);
  }
  return key;
}

/** hash:net cannot hold a /0 (an allowed address pair may be one): its two halves stand for it, as in Neutron. */
function setMembers(address: string): string[] {
  if (!address.endsWith('/0')) return [address];
  return familyOf(address) === 4 ? ['0.0.0.0/1', '128.0.0.0/1'] : ['::/1', '8000::/1'];
}

function addressSet(rule: FirewallRule, family: IpFamily, addresses: string[]): AddressSet {
  const sorted = [...new Set(addresses.flatMap(setMembers))].sort();
  // Without the group's id, the set is named by its content: equal groups share one.
  const key = rule.remoteGroupId ? rule.remoteGroupId.toLowerCase().slice(0, SET_KEY_CHARS) : contentKey(sorted.join(','));
  return { name: `${SET_PREFIX}${family}-${key}`, family, addresses: sorted };
}

type Remote = { kind: 'any' } | { kind: 'prefix'; prefix: string } | { kind: 'set'; set: AddressSet };

/** What a rule's remote end is in this family; none when the rule cannot match in it. */
function remoteOf(rule: FirewallRule, family: IpFamily): Remote | null {
  if (rule.remoteGroupAddresses !== null) {
    const addresses = rule.remoteGroupAddresses.filter((a) => familyOf(a) === family);
    return addresses.length === 0 ? null : { kind: 'set', set: addressSet(rule, family, addresses) };
  }
  if (rule.remoteIpPrefix === null || ANY.has(rule.remoteIpPrefix)) return { kind: 'any' };
  return familyOf(rule.remoteIpPrefix) === family ? { kind: 'prefix', prefix: rule.remoteIpPrefix } : null;
}

function ruleLines(rules: readonly FirewallRule[], direction: FirewallRule['direction'], family: IpFamily, sets: Map<string, AddressSet>): string[] {
  const lines: string[] = [];
  const end = direction === 'ingress' ? 'src' : 'dst';
  for (const rule of rules) {
    if (rule.direction !== direction || ethertypeFamily(rule) !== family) continue;
    const remote = remoteOf(rule, family);
    if (remote === null) continue;
    let match = '';
    if (remote.kind === 'prefix') match = `${end === 'src' ? '-s' : '-d'} ${remote.prefix}`;
    else if (remote.kind === 'set') {
      sets.set(remote.set.name, remote.set);
      match = `-m set --match-set ${remote.set.name} ${end}`;
    }
    lines.push([match, protocolArgs(rule, family), '-j RETURN'].filter(Boolean).join(' '));
  }
  return lines;
}

/** The EUI-64 link-local address a guest derives from its MAC (IPv6 neighbour discovery comes from it). */
export function linkLocalOf(mac: string): string {
  const b = mac.toLowerCase().split(':').map((h) => parseInt(h, 16));
  const eui = [b[0]! ^ 0x02, b[1]!, b[2]!, 0xff, 0xfe, b[3]!, b[4]!, b[5]!];
  const groups: string[] = [];
  for (let i = 0; i < 8; i += 2) groups.push(((eui[i]! << 8) | eui[i + 1]!).toString(16));
  return `fe80::${groups.join(':')}`;
}

/**
 * The (source address or CIDR, MAC) pairs the guest may send from in this
 * family: fixed IPs and allowed address pairs. In IPv6 each MAC also sends
 * from its own link-local address, a pair's MAC included (as Neutron allows),
 * or a VRRP peer taking over a pair's MAC could not do neighbour discovery.
 */
export function spoofPairs(port: HostPortState, family: IpFamily): Array<[string, string]> {
  const mac = port.macAddress.toLowerCase();
  const pairs: Array<[string, string]> = port.fixedIps.filter((f) => familyOf(f.ipAddress) === family).map((f) => [f.ipAddress, mac]);
  const macs = [mac];
  for (const ap of port.allowedAddressPairs) {
    if (familyOf(ap.ipAddress) !== family) continue;
    const pairMac = (ap.macAddress || mac).toLowerCase();
    pairs.push([ap.ipAddress, pairMac]);
    macs.push(pairMac);
  }
  if (family === 6) for (const m of new Set(macs)) pairs.push([linkLocalOf(m), m]);
  return pairs;
}

const dedupe = (lines: string[]): string[] => [...new Set(lines)];

export interface PortChainBodies {
  /** chain name → its rules (without the `-A <chain>` head) */
  chains: Array<[string, string[]]>;
  /** the address sets those rules match on */
  sets: AddressSet[];
}

/** The three chains of a port with port security on, in one family. */
export function portChainBodies(port: HostPortState, family: IpFamily): PortChainBodies {
  const key = portKey(port.portId);
  const c = portChains(key);
  const established = '-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN';
  const invalid = '-m conntrack --ctstate INVALID -j DROP';
  const fallback = `-j ${FALLBACK_CHAIN}`;
  const sets = new Map<string, AddressSet>();

  const ingress = [established];
  if (family === 4) ingress.push('-p udp -m udp --sport 67 --dport 68 -j RETURN');
  else {
    // Neighbour discovery, MLD and router advertisements must reach an IPv6 guest (Neutron allows these types).
    for (const t of [130, 131, 132, 134, 135, 136]) ingress.push(`-p ipv6-icmp -m icmp6 --icmpv6-type ${t} -j RETURN`);
    ingress.push('-p udp -m udp --sport 547 --dport 546 -j RETURN');
  }
  ingress.push(...ruleLines(port.rules, 'ingress', family, sets), invalid, fallback);

  const egress: string[] = [];
  if (family === 4) {
    // A DHCP DISCOVER leaves before the guest has its address.
    egress.push('-s 0.0.0.0/32 -d 255.255.255.255/32 -p udp -m udp --sport 68 --dport 67 -j RETURN');
    egress.push(`-j ${c.spoof}`);
    egress.push('-p udp -m udp --sport 68 --dport 67 -j RETURN');
    egress.push('-p udp -m udp --sport 67 --dport 68 -j DROP');
  } else {
    // Duplicate address detection and router solicitation come from :: before the link-local address is usable.
    for (const t of [131, 133, 135, 143]) egress.push(`-s ::/128 -d ff02::/16 -p ipv6-icmp -m icmp6 --icmpv6-type ${t} -j RETURN`);
    egress.push(`-j ${c.spoof}`);
    egress.push('-p ipv6-icmp -m icmp6 --icmpv6-type 134 -j DROP');
    egress.push('-p ipv6-icmp -j RETURN');
    egress.push('-p udp -m udp --sport 546 --dport 547 -j RETURN');
    egress.push('-p udp -m udp --sport 547 --dport 546 -j DROP');
  }
  egress.push(established, ...ruleLines(port.rules, 'egress', family, sets), invalid, fallback);

  const spoof = spoofPairs(port, family).map(([ip, mac]) => `-s ${ip} -m mac --mac-source ${mac} -j RETURN`);
  spoof.push('-j DROP');

  return { chains: [[c.ingress, dedupe(ingress)], [c.egress, dedupe(egress)], [c.spoof, dedupe(spoof)]], sets: [...sets.values()] };
}

/** The rules that send one tap's traffic to its port's chains, by the shared chain they sit in. */
export function dispatchRules(key: string, tap: string): Array<[string, string]> {
  const c = portChains(key);
  return [
    [FORWARD_CHAIN, `-m physdev --physdev-out ${tap} --physdev-is-bridged -j ${SG_CHAIN}`],
    [FORWARD_CHAIN, `-m physdev --physdev-in ${tap} --physdev-is-bridged -j ${SG_CHAIN}`],
    [SG_CHAIN, `-m physdev --physdev-out ${tap} --physdev-is-bridged -j ${c.ingress}`],
    [SG_CHAIN, `-m physdev --physdev-in ${tap} --physdev-is-bridged -j ${c.egress}`],
    [INPUT_CHAIN, `-m physdev --physdev-in ${tap} -j ${c.egress}`],
  ];
}

/** The shared chains whole, for the given filtered port keys (at start, and after a failed transaction). */
export function dispatchBodies(taps: Iterable<[string, string]>): Array<[string, string[]]> {
  const bodies = new Map<string, string[]>([[FORWARD_CHAIN, []], [SG_CHAIN, []], [INPUT_CHAIN, []], [FALLBACK_CHAIN, ['-j DROP']]]);
  const sorted = [...taps].sort(([a], [b]) => a.localeCompare(b));
  for (const [key, tap] of sorted) for (const [chain, rule] of dispatchRules(key, tap)) bodies.get(chain)!.push(rule);
  bodies.get(SG_CHAIN)!.push('-j ACCEPT');
  return [...bodies];
}

export interface Transaction {
  /** chains declared (so emptied, or created) and refilled */
  rewrite: ReadonlyArray<[string, string[]]>;
  /** rules put at the head of an existing chain (a new port's dispatch: before kn-sg-chain's final ACCEPT) */
  insert: ReadonlyArray<[string, string]>;
  /** rules deleted from a chain that stays */
  delete: ReadonlyArray<[string, string]>;
  /** chains emptied and deleted */
  remove: readonly string[];
  /** the raw table's zone chain, rewritten whole when given */
  zones?: readonly string[];
}

/** One iptables-restore --noflush transaction; chains it does not name are left as they are. */
export function restoreText(t: Transaction): string {
  const out = ['*filter'];
  for (const [chain] of t.rewrite) out.push(`:${chain} - [0:0]`);
  for (const chain of t.remove) out.push(`:${chain} - [0:0]`);
  for (const [chain, rules] of t.rewrite) for (const r of rules) out.push(`-A ${chain} ${r}`);
  for (const [chain, rule] of t.insert) out.push(`-I ${chain} 1 ${rule}`);
  for (const [chain, rule] of t.delete) out.push(`-D ${chain} ${rule}`);
  for (const chain of t.remove) out.push(`-X ${chain}`);
  out.push('COMMIT');
  if (t.zones) out.push('*raw', `:${ZONE_CHAIN} - [0:0]`, ...t.zones.map((r) => `-A ${ZONE_CHAIN} ${r}`), 'COMMIT');
  out.push('');
  return out.join('\n');
}

/** `ipset restore` input that makes each set hold exactly its addresses, swapped in whole so no packet sees it half-filled. */
export function ipsetRestoreText(sets: readonly AddressSet[]): string {
  const out: string[] = [];
  for (const set of sets) {
    const temp = swapSetName(set.name);
    const family = set.family === 4 ? 'inet' : 'inet6';
    out.push(`create ${set.name} hash:net family ${family} -exist`, `create ${temp} hash:net family ${family} -exist`, `flush ${temp}`);
    for (const a of set.addresses) out.push(`add ${temp} ${a} -exist`);
    out.push(`swap ${temp} ${set.name}`, `destroy ${temp}`);
  }
  out.push('');
  return out.join('\n');
}

/**
 * The tap of each port key, read back from the dispatch rules in
 * `iptables-save -t filter` output (the chain names carry 10 characters of
 * the port id, the tap 11).
 */
export function savedDispatchTaps(saved: string): Map<string, string> {
  const taps = new Map<string, string>();
  const re = new RegExp(`^-A ${SG_CHAIN} -m physdev --physdev-out (\\S+) --physdev-is-bridged -j ${CHAIN_PREFIX}i(\\S+)$`);
  for (const line of saved.split('\n')) {
    const m = re.exec(line);
    if (m) taps.set(m[2]!, m[1]!);
  }
  return taps;
}

/** Our chain names found in `iptables-save -t filter` output. */
export function savedChains(saved: string): string[] {
  const chains: string[] = [];
  for (const line of saved.split('\n')) {
    if (line.startsWith(`:${CHAIN_PREFIX}`)) chains.push(line.slice(1).split(' ')[0]!);
  }
  return chains;
}
