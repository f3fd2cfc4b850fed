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
import { runHostCommand } from '../host-commands.js';
import type { HostPortState } from '../state.js';
import {
  FALLBACK_CHAIN, FORWARD_CHAIN, INPUT_CHAIN, SG_CHAIN, dispatchBodies, keyOfChain, portChainBodies, portChains, portKey,
  restoreText, savedChains, type IpFamily,
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

type Bodies = Record<IpFamily, Array<[string, string[]]>>;

export class IptablesFirewall {
  /** the chain texts last written, per port key: what the kernel holds, as far as this instance knows */
  private readonly applied = new Map<string, string>();
  private ready: Promise<void> | null = null;

  constructor(private readonly namespace: string | undefined, private readonly log?: Logger) {}

  /**
   * Once per instance: bridged traffic to the inet hooks, the shared chains and
   * their jumps, and the port chains an earlier instance left (adopted with an
   * unknown text, so the next apply rewrites them and a sync removes the stale).
   */
  ensureReady(): Promise<void> {
    this.ready ??= this.setUp().catch((err) => { this.ready = null; throw err; });
    return this.ready;
  }

  private async setUp(): Promise<void> {
    await runInNamespace(this.namespace, 'sysctl', ['-q', '-w', 'net.bridge.bridge-nf-call-iptables=1', 'net.bridge.bridge-nf-call-ip6tables=1']);
    await Promise.all(FAMILIES.map(async (family) => {
      const saved = await runInNamespace(this.namespace, SAVE[family], ['-t', 'filter']);
      const present = new Set(savedChains(saved));
      for (const chain of present) {
        const key = keyOfChain(chain);
        if (key !== null) this.applied.set(key, '');
      }
      const lines = ['*filter'];
      for (const chain of [FORWARD_CHAIN, INPUT_CHAIN, SG_CHAIN, FALLBACK_CHAIN]) if (!present.has(chain)) lines.push(`:${chain} - [0:0]`);
      if (!present.has(FALLBACK_CHAIN)) lines.push(`-A ${FALLBACK_CHAIN} -j DROP`);
      if (!saved.includes(`-A FORWARD -j ${FORWARD_CHAIN}`)) lines.push(`-I FORWARD 1 -j ${FORWARD_CHAIN}`);
      if (!saved.includes(`-A INPUT -j ${INPUT_CHAIN}`)) lines.push(`-I INPUT 1 -j ${INPUT_CHAIN}`);
      if (lines.length > 1) await runInNamespace(this.namespace, RESTORE[family], ['--noflush'], [...lines, 'COMMIT', ''].join('\n'));
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
    const rewrite: Bodies = { 4: [], 6: [] };
    const next = new Map(this.applied);
    const texts = new Map<string, string>();
    const dropped = new Set<string>();
    for (const key of removeKeys) if (next.delete(key)) dropped.add(key);
    for (const port of upsert) {
      const key = portKey(port.portId);
      if (!port.portSecurityEnabled) {
        if (next.delete(key)) dropped.add(key);
        continue;
      }
      dropped.delete(key);
      const bodies = { 4: portChainBodies(port, 4).chains, 6: portChainBodies(port, 6).chains };
      const text = JSON.stringify(bodies);
      next.set(key, text);
      if (this.applied.get(key) === text) continue;
      texts.set(key, text);
      for (const f of FAMILIES) rewrite[f].push(...bodies[f]);
    }
    const membershipChanged = dropped.size > 0 || [...next.keys()].some((k) => !this.applied.has(k));
    if (membershipChanged) for (const f of FAMILIES) rewrite[f].unshift(...dispatchBodies(next.keys()));
    if (rewrite[4].length === 0 && dropped.size === 0) return;

    const remove = [...dropped].flatMap((k) => Object.values(portChains(k)));
    try {
      await Promise.all(FAMILIES.map((f) => runInNamespace(this.namespace, RESTORE[f], ['--noflush'], restoreText(rewrite[f], remove))));
    } catch (err) {
      // One family may have committed and the other not: rewrite everything next time.
      this.invalidate();
      throw err;
    }
    for (const key of dropped) this.applied.delete(key);
    for (const [key, text] of texts) this.applied.set(key, text);
    this.log?.debug({ changed: [...texts.keys()], removed: [...dropped] }, 'firewall chains applied');
  }

  /** Forgets what was applied so the next apply rewrites every chain (after a failed transaction). */
  invalidate(): void {
    for (const key of this.applied.keys()) this.applied.set(key, '');
  }
}
