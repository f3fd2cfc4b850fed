/**
 * Security groups in the kernel, as Neutron's iptables firewall driver
 * enforces them on a Linux bridge host: bridged traffic is handed to the inet
 * hooks (`bridge-nf-call-iptables`; nft's bridge family cannot track
 * connections on these kernels), and each tap's packets are matched with
 * physdev into its port's chains (firewall-rules.ts).
 *
 * Every change is one `iptables-restore --noflush` transaction per family
 * that rewrites only the chains whose text changed, so a rule change reaches
 * the kernel in one process run, and the rest of the table (other agents'
 * rules, the host's own) is never touched.
 */
import type { Logger } from 'pino';
import { HostCommandError, runHostCommand } from '../host-commands.js';
import { settled } from '../settled.js';
import { deviceNames, type HostPortState } from '../state.js';
import {
  FALLBACK_CHAIN, FORWARD_CHAIN, INPUT_CHAIN, SG_CHAIN, dispatchBodies, dispatchRules, ipsetRestoreText, isOurSet, keyOfChain,
  portChainBodies, portChains, portKey, restoreText, savedChains, savedDispatchTaps, zoneChainBody, ZONE_CHAIN, type AddressSet, type IpFamily,
} from './firewall-rules.js';

const FAMILIES: readonly IpFamily[] = [4, 6];
const RESTORE: Record<IpFamily, string> = { 4: 'iptables-restore', 6: 'ip6tables-restore' };
const SAVE: Record<IpFamily, string> = { 4: 'iptables-save', 6: 'ip6tables-save' };

/**
 * Runs a tool inside the namespace through nsenter: `ip netns exec` also
 * remounts /sys for the child, which costs ~15 ms a call and none of these
 * tools need.
 */
export function runInNamespace(namespace: string | undefined, cmd: string, args: readonly string[], input?: string): Promise<string> {
  if (!namespace) return runHostCommand(cmd, args, { input });
  return runHostCommand('nsenter', [`--net=/run/netns/${namespace}`, cmd, ...args], { input });
}

/** Whether a chain loses any line it had: a rule went, so flows it let in may need cutting. */
function lostLines(oldText: string, rules: readonly string[]): boolean {
  const kept = new Set(rules);
  return oldText.split('\n').some((line) => !kept.has(line));
}

export class IptablesFirewall {
  /**
   * Per filtered port key, each of its chains' text as last written
   * ("<family>:<chain>" → rules): what the kernel holds as far as this
   * instance knows; empty = unknown (adopted, or after a failure).
   */
  private readonly applied = new Map<string, Map<string, string>>();
  /** the address sets each port's chains match on */
  private readonly portSets = new Map<string, string[]>();
  /** our ipsets in the kernel and their members as last written ('' = unknown) */
  private readonly setContents = new Map<string, string>();
  /** each filtered port's tap (chain names carry only 10 characters of the port id) */
  private readonly taps = new Map<string, string>();
  /** whether the shared dispatch chains must be rewritten whole (at start, after a failure) */
  private dispatchDirty = true;
  /**
   * each filtered port's network, whose bridge's conntrack zone is written in
   * the raw table (absent: unknown). The zone chain is rewritten whole from
   * this, so a port adopted from an earlier run is tracked in zone 0 until a
   * plug or sync names it.
   */
  private readonly zones = new Map<string, string>();
  /**
   * The zone chain's rules as last written (null: unknown). A chain is
   * rewritten by flushing it, and a flushed rule makes the transaction wait
   * for an RCU grace period (~10 ms) before iptables-restore can exit: a port
   * joining a network that already has its zone leaves the chain alone.
   */
  private zoneText: string | null = null;
  private ready: Promise<void> | null = null;

  constructor(private readonly namespace: string | undefined, private readonly log?: Logger) {}

  /**
   * Once per instance: bridged traffic to the inet hooks, the shared chains and
   * their jumps, and the port chains and sets an earlier instance left
   * (adopted as unknown, so the next apply rewrites them and a sync removes the stale).
   */
  ensureReady(): Promise<void> {
    this.ready ??= this.setUp().catch((err) => { this.ready = null; throw err; });
    return this.ready;
  }

  private async setUp(): Promise<void> {
    await runInNamespace(this.namespace, 'sysctl', ['-q', '-w', 'net.bridge.bridge-nf-call-iptables=1', 'net.bridge.bridge-nf-call-ip6tables=1']);
    const sets = (await runInNamespace(this.namespace, 'ipset', ['list', '-n'])).split('\n').filter(Boolean);
    for (const name of sets) if (isOurSet(name)) this.setContents.set(name, '');
    await Promise.all(FAMILIES.map(async (family) => {
      const saved = await runInNamespace(this.namespace, SAVE[family], ['-t', 'filter']);
      const present = new Set(savedChains(saved));
      for (const [key, tap] of savedDispatchTaps(saved)) this.taps.set(key, tap);
      for (const chain of present) {
        const key = keyOfChain(chain);
        if (key !== null) this.applied.set(key, new Map());
      }
      const filter: string[] = [];
      for (const chain of [FORWARD_CHAIN, INPUT_CHAIN, SG_CHAIN, FALLBACK_CHAIN]) if (!present.has(chain)) filter.push(`:${chain} - [0:0]`);
      if (!saved.includes(`-A FORWARD -j ${FORWARD_CHAIN}`)) filter.push(`-I FORWARD 1 -j ${FORWARD_CHAIN}`);
      if (!saved.includes(`-A INPUT -j ${INPUT_CHAIN}`)) filter.push(`-I INPUT 1 -j ${INPUT_CHAIN}`);
      const savedRaw = await runInNamespace(this.namespace, SAVE[family], ['-t', 'raw']);
      const raw: string[] = [];
      if (!savedRaw.includes(`:${ZONE_CHAIN} `)) raw.push(`:${ZONE_CHAIN} - [0:0]`);
      if (!savedRaw.includes(`-A PREROUTING -j ${ZONE_CHAIN}`)) raw.push(`-I PREROUTING 1 -j ${ZONE_CHAIN}`);
      const text = [['*filter', filter], ['*raw', raw]].flatMap(([head, lines]) => (lines.length > 0 ? [head as string, ...lines, 'COMMIT'] : []));
      if (text.length > 0) await runInNamespace(this.namespace, RESTORE[family], ['--noflush'], [...text, ''].join('\n'));
    }));
  }

  /** Keys of the ports whose chains are in the kernel. */
  filteredKeys(): string[] {
    return [...this.applied.keys()];
  }

  /**
   * Makes the chains of `upsert` ports match their state (ports with port
   * security off lose theirs) and removes the chains of `removeKeys`.
   */
  async apply(upsert: readonly HostPortState[], removeKeys: Iterable<string> = []): Promise<void> {
    await this.ensureReady();
    const rewrite: Record<IpFamily, Array<[string, string[]]>> = { 4: [], 6: [] };
    const next = new Set(this.applied.keys());
    const texts = new Map<string, Map<string, string>>();
    const setsOf = new Map<string, string[]>();
    const wantedSets = new Map<string, AddressSet>();
    const dropped = new Set<string>();
    let rewritten = 0;
    const narrowed: Array<{ port: HostPortState; direction: 'ingress' | 'egress' }> = [];
    const nextZones = new Map(this.zones);
    const nextTaps = new Map(this.taps);
    for (const key of removeKeys) if (next.delete(key)) dropped.add(key);
    for (const port of upsert) {
      const key = portKey(port.portId);
      if (!port.portSecurityEnabled) {
        if (next.delete(key)) dropped.add(key);
        continue;
      }
      next.add(key);
      dropped.delete(key);
      nextTaps.set(key, deviceNames.tap(port.portId));
      nextZones.set(key, port.networkId);
      const [v4, v6] = [portChainBodies(port, 4), portChainBodies(port, 6)];
      for (const set of [...v4.sets, ...v6.sets]) wantedSets.set(set.name, set);
      setsOf.set(key, [...v4.sets, ...v6.sets].map((set) => set.name));
      // Only the chains whose text changed are rewritten: a new ingress rule touches one chain per port.
      const before = this.applied.get(key);
      const after = new Map<string, string>();
      for (const [family, bodies] of [[4, v4], [6, v6]] as const) {
        for (const [chain, rules] of bodies.chains) {
          const text = rules.join('\n');
          after.set(`${family}:${chain}`, text);
          const old = before?.get(`${family}:${chain}`);
          if (old === text) continue;
          rewrite[family].push([chain, rules]);
          const direction = chain === portChains(key).ingress ? 'ingress' : chain === portChains(key).egress ? 'egress' : null;
          if (direction && old && lostLines(old, rules)) narrowed.push({ port, direction });
        }
      }
      if (rewrite[4].length + rewrite[6].length > rewritten) texts.set(key, after);
      rewritten = rewrite[4].length + rewrite[6].length;
    }
    const setsToWrite = [...wantedSets.values()].filter((set) => this.setContents.get(set.name) !== set.addresses.join(','));
    const added = [...next].filter((k) => !this.applied.has(k));
    const tapOf = (key: string) => nextTaps.get(key)!;
    // A port adopted from an earlier run whose tap the kernel did not tell cannot be deleted rule by rule.
    const wholeDispatch = this.dispatchDirty || [...dropped].some((k) => !nextTaps.has(k));
    const dispatch = wholeDispatch
      ? { rewrite: dispatchBodies([...next].filter((k) => nextTaps.has(k)).map((k) => [k, tapOf(k)])), insert: [], delete: [] }
      : { rewrite: [], insert: added.flatMap((k) => dispatchRules(k, tapOf(k))), delete: [...dropped].flatMap((k) => dispatchRules(k, tapOf(k))) };
    const remove = [...dropped].flatMap((k) => Object.values(portChains(k)));
    for (const key of dropped) nextZones.delete(key);
    const zones = zoneChainBody([...nextZones].filter(([k]) => nextTaps.has(k)).map(([, networkId]) => networkId));
    const zonesChanged = this.dispatchDirty || zones.join('\n') !== this.zoneText;
    const familyChanges = (f: IpFamily) => rewrite[f].length > 0 || dropped.size > 0 || zonesChanged;
    const chainsChange = familyChanges(4) || familyChanges(6);

    const writeSets = async () => {
      if (setsToWrite.length > 0) await runInNamespace(this.namespace, 'ipset', ['restore'], ipsetRestoreText(setsToWrite));
    };
    const writeChains = (f: IpFamily) => runInNamespace(this.namespace, RESTORE[f], ['--noflush'], restoreText({
      rewrite: [...dispatch.rewrite, ...rewrite[f]], insert: dispatch.insert, delete: dispatch.delete, remove, zones: zonesChanged ? zones : undefined,
    }));
    const families = chainsChange ? FAMILIES.filter(familyChanges) : [];
    try {
      // Every set is one this instance wrote (unknown after a failure or an adoption): it exists, so the rules
      // may name it while a swap refills it whole, and sets and chains go at once.
      if (setsToWrite.every((set) => this.setContents.get(set.name))) {
        await settled(writeSets(), ...families.map(writeChains));
      } else {
        // A rule may not name a set that does not exist yet: sets first.
        await writeSets();
        await settled(...families.map(writeChains));
      }
    } catch (err) {
      // Part may have committed (one family, some sets): rewrite everything next time.
      this.invalidate();
      throw err;
    }
    for (const set of setsToWrite) this.setContents.set(set.name, set.addresses.join(','));
    this.dispatchDirty = false;
    this.zoneText = zones.join('\n');
    this.zones.clear();
    for (const [key, networkId] of nextZones) this.zones.set(key, networkId);
    for (const key of dropped) nextTaps.delete(key);
    this.taps.clear();
    for (const [key, tap] of nextTaps) this.taps.set(key, tap);
    for (const key of dropped) { this.applied.delete(key); this.portSets.delete(key); }
    for (const [key, text] of texts) this.applied.set(key, text);
    for (const [key, names] of setsOf) this.portSets.set(key, names);
    if (chainsChange) this.log?.debug({ changed: [...texts.keys()], removed: [...dropped], sets: setsToWrite.map((s) => s.name) }, 'firewall chains applied');
    await this.destroyUnusedSets();
    await this.cutFlows(narrowed);
  }

  /**
   * Connections a removed rule allowed would live on as ESTABLISHED: forget
   * the conntrack entries of the port's addresses in that direction (as
   * Neutron's agent does), so their next packet meets the rules anew. Entries
   * still allowed are picked up again by that packet.
   */
  private async cutFlows(narrowed: ReadonlyArray<{ port: HostPortState; direction: 'ingress' | 'egress' }>): Promise<void> {
    if (narrowed.length === 0) return;
    let table: string;
    try {
      // One listing first: a group of 50 ports losing a rule usually has few flows, not 50 deletions' worth.
      table = await runInNamespace(this.namespace, 'conntrack', ['-L']);
    } catch (err) {
      // A host without conntrack-tools keeps established flows until they end.
      this.log?.warn({ err }, 'could not list conntrack entries; established flows are kept');
      return;
    }
    const runs: Array<Promise<unknown>> = [];
    for (const { port, direction } of narrowed) {
      const flag = direction === 'ingress' ? '-d' : '-s';
      const field = direction === 'ingress' ? 'dst' : 'src';
      for (const ip of port.fixedIps.map((f) => f.ipAddress)) {
        if (!table.includes(`${field}=${ip} `)) continue;
        runs.push(runInNamespace(this.namespace, 'conntrack', ['-D', flag, ip]).catch((err) => {
          // Exit 1 is "0 flow entries deleted": they ended meanwhile.
          if (!(err instanceof HostCommandError && err.exitCode === 1)) this.log?.warn({ err, ip }, 'could not clear conntrack entries');
        }));
      }
    }
    await Promise.all(runs);
  }

  /** Destroys our sets no port's chains name any more (after the chains stopped naming them). */
  private async destroyUnusedSets(): Promise<void> {
    const used = new Set([...this.portSets.values()].flat());
    const unused = [...this.setContents.keys()].filter((name) => !used.has(name));
    for (const name of unused) {
      try {
        await runInNamespace(this.namespace, 'ipset', ['destroy', name]);
        this.setContents.delete(name);
      } catch (err) {
        if (err instanceof HostCommandError && /does not exist/.test(err.stderrTail)) this.setContents.delete(name);
        // Otherwise a chain adopted from an earlier run still names it: it goes once that chain is rewritten.
        else this.log?.debug({ err, set: name }, 'address set still in use; kept');
      }
    }
  }

  /** Forgets what was applied so the next apply rewrites every chain, set and dispatch rule (after a failed transaction). */
  invalidate(): void {
    for (const key of this.applied.keys()) this.applied.set(key, new Map());
    for (const name of this.setContents.keys()) this.setContents.set(name, '');
    this.dispatchDirty = true;
    this.zones.clear();
    this.zoneText = null;
  }
}
