/**
 * ARP spoofing protection in the kernel (arp-rules.ts): one `nft -f -`
 * transaction per change, in the host namespace. The kernel is the record:
 * the table's chains, listed once per instance, say which taps an earlier run
 * protected, so a sync can remove those no port wants.
 */
import type { Logger } from 'pino';
import { HostCommandError } from '../host-commands.js';
import { deviceNames, type HostPortState } from '../state.js';
import { ARP_TABLE, arpChainRules, parseListing, setupText, transactionText, type ArpTransaction } from './arp-rules.js';
import { runInNamespace } from './firewall.js';

export class ArpProtection {
  /** per tap whose chain is in the kernel, its rules as last written ('' = unknown: adopted) */
  private readonly chains = new Map<string, string>();
  private ready: Promise<void> | null = null;

  constructor(private readonly namespace: string | undefined, private readonly log?: Logger) {}

  /** Once per instance (again after a failure): the table and its dispatch, and the chains found there adopted. */
  ensureReady(): Promise<void> {
    this.ready ??= this.setUp().catch((err) => { this.ready = null; throw err; });
    return this.ready;
  }

  private async setUp(): Promise<void> {
    this.chains.clear();
    let listing = '';
    try {
      listing = await this.nft(['list', 'table', 'bridge', ARP_TABLE]);
    } catch (err) {
      if (!(err instanceof HostCommandError && /No such file or directory/.test(err.stderrTail))) throw err;
    }
    const found = parseListing(listing);
    for (const tap of found.taps) this.chains.set(tap, '');
    if (!found.dispatching) await this.nft(['-f', '-'], setupText());
  }

  private nft(args: readonly string[], input?: string): Promise<string> {
    return runInNamespace(this.namespace, 'nft', args, input);
  }

  /** Taps whose chains are in the kernel. */
  protectedTaps(): string[] {
    return [...this.chains.keys()];
  }

  /** Makes the chains of `upsert` ports match their state (port security off: none) and removes those of `removeTaps`. */
  async apply(upsert: readonly HostPortState[], removeTaps: Iterable<string> = []): Promise<void> {
    await this.ensureReady();
    const t: { write: ArpTransaction['write'][number][]; remove: string[] } = { write: [], remove: [] };
    const written = new Map<string, string>();
    for (const port of upsert) {
      const tap = deviceNames.tap(port.portId);
      const rules = arpChainRules(port);
      if (rules === null) {
        if (this.chains.has(tap)) t.remove.push(tap);
        continue;
      }
      const text = rules.join('\n');
      if (this.chains.get(tap) === text || written.has(tap)) continue;
      t.write.push({ tap, rules, exists: this.chains.has(tap) });
      written.set(tap, text);
    }
    for (const tap of removeTaps) if (this.chains.has(tap) && !written.has(tap) && !t.remove.includes(tap)) t.remove.push(tap);
    if (t.write.length + t.remove.length === 0) return;
    try {
      await this.nft(['-f', '-'], transactionText(t));
    } catch (err) {
      // Nothing committed, but the kernel may not be what this instance believed: list it again next time.
      this.ready = null;
      throw err;
    }
    for (const tap of t.remove) this.chains.delete(tap);
    for (const [tap, text] of written) this.chains.set(tap, text);
    this.log?.debug({ written: [...written.keys()], removed: t.remove }, 'ARP protection applied');
  }
}
