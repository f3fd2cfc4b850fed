/**
 * The L2 data path of a Linux bridge host, as Neutron's linuxbridge agent
 * wires a port: the guest's tap (made by libvirt/QEMU in the root namespace)
 * joins its network's bridge in the host namespace, with the port's MTU, and
 * the port's security groups become iptables chains (firewall.ts) and its
 * ARP is held to its own addresses (arp-protection.ts).
 *
 * With `[linuxbridge] host_namespace` set, the whole data path lives in that
 * namespace: the tap is moved there (QEMU keeps its file descriptor, so the
 * guest's NIC keeps working) and moved back to the agent's namespace when
 * unplugged, where libvirt expects to delete it. Only once libvirt is done
 * with it: libvirt makes the tap, then sets it up by name while the guest
 * starts, and a tap moved away meanwhile fails the start ("Cannot set
 * interface MTU on 'tap…': No such device"). The compute manager's wire
 * after the spawn moves it at once; a sync moves only a tap that has stood
 * in the agent's namespace for a while (one that wire missed).
 *
 * The kernel is the record: a tap carries its full port id in its alias, and
 * chains, ARP chains and taps found there after a restart are adopted or
 * removed by the next sync.
 */
import type { Logger } from 'pino';
import type { PortDataPath } from '../drivers.js';
import { ensureBridge, linkExists, releaseBridgeIfEmpty } from '../bridges.js';
import { ipArgs, runHostCommand } from '../host-commands.js';
import { settled } from '../settled.js';
import { deviceNames, type HostPortState } from '../state.js';
import { ArpProtection } from './arp-protection.js';
import { IptablesFirewall } from './firewall.js';
import { portKey } from './firewall-rules.js';

/** The port's tap is in neither namespace yet (QEMU has not made it): the caller retries later. */
export class TapNotFoundError extends Error {
  constructor(readonly portId: string, readonly tap: string) {
    super(`tap ${tap} of port ${portId} does not exist yet`);
    this.name = 'TapNotFoundError';
  }
}

/** How long a sync leaves a tap in the agent's namespace before taking it: far longer than libvirt takes to start a guest. */
const TAP_SETTLE_MS = 10_000;

const ALIAS_PREFIX = 'kn-port:';
const BRIDGE_PREFIX = 'brq';
const TAP_PREFIX = 'tap';

interface LinkInfo {
  ifname: string;
  master?: string;
  mtu: number;
  flags: string[];
  ifalias?: string;
}

/** The `networkId` argument that names an existing bridge to the shared bridge helpers (they use its first 11 characters). */
const networkKeyOfBridge = (bridge: string): string => bridge.slice(BRIDGE_PREFIX.length);

export class LinuxBridgePortDataPath implements PortDataPath {
  private readonly namespace: string | undefined;
  private readonly log: Logger | undefined;
  private readonly firewall: IptablesFirewall;
  private readonly arp: ArpProtection;
  /** serialises kernel changes: the agent may plug while a sync runs */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly tapSettleMs: number;
  private readonly clock: () => number;
  /**
   * Desired ports' taps seen by syncs in the agent's namespace: the kernel's index (a new tap
   * of the same name waits again) and when first seen.
   */
  private waitingTaps = new Map<string, { ifindex: number; since: number }>();

  constructor(opts: { hostNamespace?: string; logger?: Logger; tapSettleMs?: number; clock?: () => number } = {}) {
    this.namespace = opts.hostNamespace || undefined;
    this.log = opts.logger;
    this.tapSettleMs = opts.tapSettleMs ?? TAP_SETTLE_MS;
    this.clock = opts.clock ?? Date.now;
    this.firewall = new IptablesFirewall(this.namespace, this.log);
    this.arp = new ArpProtection(this.namespace, this.log);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private ip(args: readonly string[]): Promise<string> {
    return runHostCommand('ip', ipArgs(this.namespace, args));
  }

  private async links(): Promise<LinkInfo[]> {
    return JSON.parse(await this.ip(['-j', 'link', 'show'])) as LinkInfo[];
  }

  plugPort(port: HostPortState, opts: { tapReady?: boolean } = {}): Promise<void> {
    const tapReady = opts.tapReady ?? true;
    return this.serial(async () => {
      // The tap may come into the host namespace while its rules are written,
      // but joins the bridge only once they are in: it never forwards unfiltered.
      await settled(this.firewall.apply([port]), this.arp.apply([port]), tapReady ? this.bringIn(port) : Promise.resolve());
      // Without the hypervisor's word, only a tap already where the bridge is gets attached.
      if (!tapReady && !(await linkExists(this.namespace, deviceNames.tap(port.portId)))) return;
      await this.attach(port);
    });
  }

  /**
   * Which of these taps, missing from the host namespace, a sync may take in: those that have
   * stood in the agent's namespace for the settle time. Without a host namespace nothing is
   * moved, so every one may be attached where it is (as Neutron's agent does).
   */
  private async settledTaps(missing: readonly string[]): Promise<Set<string>> {
    if (!this.namespace) return new Set(missing);
    const waiting = new Map<string, { ifindex: number; since: number }>();
    const ready = new Set<string>();
    if (missing.length > 0) {
      const here = JSON.parse(await runHostCommand('ip', ['-j', 'link', 'show'])) as Array<{ ifname: string; ifindex: number }>;
      const indexOf = new Map(here.map((l) => [l.ifname, l.ifindex]));
      const now = this.clock();
      for (const tap of missing) {
        const ifindex = indexOf.get(tap);
        if (ifindex === undefined) continue;
        const seen = this.waitingTaps.get(tap);
        const since = seen?.ifindex === ifindex ? seen.since : now;
        if (now - since >= this.tapSettleMs) ready.add(tap);
        else waiting.set(tap, { ifindex, since });
      }
    }
    this.waitingTaps = waiting;
    return ready;
  }

  /** Wires a port a listing of the host namespace described (`link` undefined: the tap was not there). */
  private async wire(port: HostPortState, link: LinkInfo | undefined): Promise<void> {
    const bridge = deviceNames.bridge(port.networkId);
    const alias = `${ALIAS_PREFIX}${port.portId}`;
    if (link && link.master === bridge && link.mtu === port.mtu && link.flags.includes('UP') && link.ifalias === alias) return;
    if (!link) await this.bringIn(port);
    await this.attach(port);
  }

  /**
   * Moves the tap from the agent's namespace into the host namespace. Tried
   * first and explained only when it fails, so the common case is one `ip` run.
   */
  private async bringIn(port: HostPortState): Promise<void> {
    if (!this.namespace) return;
    const tap = deviceNames.tap(port.portId);
    try {
      await runHostCommand('ip', ['link', 'set', 'dev', tap, 'netns', this.namespace]);
    } catch (err) {
      if (await linkExists(this.namespace, tap)) return; // moved already (an earlier plug)
      if (await linkExists(undefined, tap)) throw err;
      throw new TapNotFoundError(port.portId, tap);
    }
  }

  /** The tap on its network's bridge with the port's MTU, its port id as its alias, up; the bridge made if missing. */
  private async attach(port: HostPortState): Promise<void> {
    const tap = deviceNames.tap(port.portId);
    const bridge = deviceNames.bridge(port.networkId);
    const set = () => this.ip(['link', 'set', 'dev', tap, 'mtu', String(port.mtu), 'master', bridge, 'alias', `${ALIAS_PREFIX}${port.portId}`, 'up']);
    try {
      await set();
    } catch (err) {
      if (!(await linkExists(this.namespace, tap))) throw new TapNotFoundError(port.portId, tap);
      if (await linkExists(this.namespace, bridge)) throw err;
      await ensureBridge(this.namespace, port.networkId, port.mtu);
      await set();
    }
  }

  unplugPort(portId: string): Promise<void> {
    return this.serial(async () => {
      const tap = deviceNames.tap(portId);
      await settled(this.firewall.apply([], [portKey(portId)]), this.arp.apply([], [tap]));
      const link = (await this.links()).find((l) => l.ifname === tap);
      if (link) await this.unwire(link);
    });
  }

  /** Takes a tap off its bridge (returned to the agent's namespace), and the bridge away if that left it empty. */
  private async unwire(link: LinkInfo): Promise<void> {
    await this.ip(['link', 'set', 'dev', link.ifname, 'nomaster']);
    if (this.namespace) {
      try {
        await this.ip(['link', 'set', 'dev', link.ifname, 'netns', String(process.pid)]);
      } catch (err) {
        // It vanished (QEMU exited): nothing left to hand back.
        if (await linkExists(this.namespace, link.ifname)) throw err;
      }
    }
    if (link.master?.startsWith(BRIDGE_PREFIX)) await releaseBridgeIfEmpty(this.namespace, networkKeyOfBridge(link.master));
  }

  syncPorts(ports: readonly HostPortState[]): Promise<void> {
    return this.serial(async () => {
      await settled(this.firewall.ensureReady(), this.arp.ensureReady());
      const desiredKeys = new Set(ports.map((p) => portKey(p.portId)));
      const stale = this.firewall.filteredKeys().filter((k) => !desiredKeys.has(k));
      const desiredTaps = new Set(ports.map((p) => deviceNames.tap(p.portId)));
      const staleTaps = this.arp.protectedTaps().filter((t) => !desiredTaps.has(t));
      const [, , links] = await settled(this.firewall.apply(ports, stale), this.arp.apply(ports, staleTaps), this.links());
      const byName = new Map(links.map((l) => [l.ifname, l]));
      const movable = await this.settledTaps([...desiredTaps].filter((t) => !byName.has(t)));
      // One port's failure does not keep the others from being wired or removed; the first is thrown at the end.
      const failures: unknown[] = [];
      for (const port of ports) {
        const tap = deviceNames.tap(port.portId);
        if (!byName.has(tap) && !movable.has(tap)) {
          this.log?.debug({ portId: port.portId }, 'tap not here yet, or just made; filtered, not wired');
          continue;
        }
        try {
          await this.wire(port, byName.get(tap));
        } catch (err) {
          // A port whose tap is missing: its guest is not running here yet; the agent plugs it when the tap appears.
          if (err instanceof TapNotFoundError) this.log?.debug({ portId: port.portId }, 'tap not present yet; filtered, not wired');
          else failures.push(err);
        }
      }
      for (const link of byName.values()) {
        const portId = ownPortId(link);
        if (portId === null || desiredKeys.has(portKey(portId))) continue;
        this.log?.info({ tap: link.ifname, portId }, 'unwiring a tap no port wants');
        await this.unwire(link).catch((err) => failures.push(err));
      }
      if (failures.length > 0) {
        for (const err of failures.slice(1)) this.log?.warn({ err }, 'port sync failure');
        throw failures[0];
      }
    });
  }

  async wiredPorts(): Promise<string[]> {
    return (await this.links()).map(ownPortId).filter((id): id is string => id !== null);
  }
}

/**
 * The port id of a tap this data path wired (on a brq bridge, carrying our
 * alias), else null: the DHCP and router agents' bridge-side veth ends are
 * named tap… too, and are theirs to manage.
 */
function ownPortId(link: LinkInfo): string | null {
  if (!link.ifname.startsWith(TAP_PREFIX) || !link.master?.startsWith(BRIDGE_PREFIX) || !link.ifalias?.startsWith(ALIAS_PREFIX)) return null;
  return link.ifalias.slice(ALIAS_PREFIX.length);
}
