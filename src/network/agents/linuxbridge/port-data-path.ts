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
 * unplugged, where libvirt expects to delete it.
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

  constructor(opts: { hostNamespace?: string; logger?: Logger } = {}) {
    this.namespace = opts.hostNamespace || undefined;
    this.log = opts.logger;
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

  plugPort(port: HostPortState): Promise<void> {
    return this.serial(async () => {
      // The tap may come into the host namespace while its rules are written,
      // but joins the bridge only once they are in: it never forwards unfiltered.
      await settled(this.firewall.apply([port]), this.arp.apply([port]), this.bringIn(port));
      await this.attach(port);
    });
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
      // One port's failure does not keep the others from being wired or removed; the first is thrown at the end.
      const failures: unknown[] = [];
      for (const port of ports) {
        try {
          await this.wire(port, byName.get(deviceNames.tap(port.portId)));
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
