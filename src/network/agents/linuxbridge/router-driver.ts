/**
 * The L3 agent's Linux driver (Neutron's router_info on the Linux bridge
 * agent): each router is a qrouter-<id> namespace that forwards IPv4, with a
 * veth per internal interface (qr-) and one for the external gateway (qg-)
 * whose other ends sit on their networks' bridges in the data path's
 * namespace, a default route out of the gateway, floating IPs as /32s on the
 * gateway and NAT as one nftables table (router-nat.ts).
 *
 * Level-triggered: every sync compares the kernel with the desired routers,
 * so it applies changes, removes what is no longer wanted, and after a
 * restart adopts the namespaces a previous instance left. Namespaces are
 * global to the machine, so each one we make is tagged (the alias of its lo)
 * with the data path's namespace, and only ours are ever adopted or removed.
 */
import { isIPv4 } from 'node:net';
import type { Logger } from 'pino';
import type { RouterDriver } from '../drivers.js';
import { bridgeSideOf, deviceNames, namespaceNames, type RouterInterfaceState, type RouterState } from '../state.js';
import { ipArgs, runHostCommand } from '../host-commands.js';
import { attachToBridge, ensureBridge, linkExists, releaseBridgeIfEmpty } from '../bridges.js';
import { natRuleset } from './router-nat.js';
import {
  INTERFACE_PREFIX, ipIgnoringAbsence, linkDetails, routerLinks, routerNamespaces,
  ROUTER_NAMESPACE_PREFIX, type LinkAddresses,
} from './router-links.js';

/** The bridge's MTU when the router is the first on a network (the L2 agent sets the network's own when it wires a port). */
const DEFAULT_MTU = 1500;
const OWNER_TAG = 'kilonova-l3';

/** The qr-/qg- device's 11 id characters give back its bridge-side peer's name. */
function peerOf(insideName: string): string {
  return bridgeSideOf(insideName.slice(INTERFACE_PREFIX.length));
}

/** bridges.ts names a bridge from a network id's first characters; a bridge's name gives them back. */
function networkKeyOfBridge(bridge: string): string {
  return bridge.slice('brq'.length);
}

/**
 * A gratuitous ARP for an address the gateway just took (Neutron sends them
 * too): the outside's neighbours that knew it elsewhere, say a floating IP
 * moved from another router, learn where it is now. Best effort: IPv6
 * addresses, or a host without busybox, only wait for the next ARP.
 */
async function announce(namespace: string, device: string, address: string): Promise<void> {
  if (!isIPv4(address)) return;
  await runHostCommand('busybox', ['arping', '-U', '-c', '1', '-I', device, address], { namespace, timeoutMs: 2000 }).catch(() => undefined);
}

export interface LinuxBridgeRouterDriverOptions {
  /** the namespace holding the bridges (`[linuxbridge] host_namespace`); undefined = the root namespace */
  hostNamespace?: string;
  logger?: Logger;
}

export class LinuxBridgeRouterDriver implements RouterDriver {
  private readonly hostNamespace: string | undefined;
  private readonly logger: Logger | undefined;
  private readonly ownerTag: string;
  /** syncs run one after another: two at once would race on the same links */
  private queue: Promise<void> = Promise.resolve();

  constructor(opts: LinuxBridgeRouterDriverOptions = {}) {
    this.hostNamespace = opts.hostNamespace || undefined;
    this.logger = opts.logger;
    this.ownerTag = `${OWNER_TAG} host=${this.hostNamespace ?? ''}`;
  }

  syncRouters(routers: readonly RouterState[]): Promise<void> {
    const run = this.queue.then(() => this.sync(routers));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sync(routers: readonly RouterState[]): Promise<void> {
    const desired = new Map(routers.filter((r) => r.adminStateUp).map((r) => [namespaceNames.router(r.routerId), r]));
    const failed: string[] = [];
    for (const [namespace, router] of desired) {
      try {
        await this.syncRouter(namespace, router);
      } catch (err) {
        this.logger?.error({ err, router: router.routerId }, 'router sync failed');
        failed.push(router.routerId);
      }
    }
    for (const namespace of await this.ownNamespaces()) {
      if (desired.has(namespace)) continue;
      try {
        await this.removeRouter(namespace);
      } catch (err) {
        this.logger?.error({ err, namespace }, 'router removal failed');
        failed.push(namespace.slice(ROUTER_NAMESPACE_PREFIX.length));
      }
    }
    // The caller retries the whole sync; the routers that worked are already right.
    if (failed.length > 0) throw new Error(`router sync failed for ${failed.join(', ')}`);
  }

  /** The qrouter- namespaces this data path made (tagged on their lo). */
  private async ownNamespaces(): Promise<string[]> {
    const own: string[] = [];
    for (const namespace of await routerNamespaces()) {
      if ((await linkDetails(namespace, 'lo'))?.alias === this.ownerTag) own.push(namespace);
    }
    return own;
  }

  private async syncRouter(namespace: string, router: RouterState): Promise<void> {
    await this.ensureNamespace(namespace);
    const present = new Map((await routerLinks(namespace)).map((l) => [l.ifname, l]));
    const wanted = new Set<string>();
    for (const port of router.interfaces) {
      const name = deviceNames.routerInterface(port.portId);
      wanted.add(name);
      await this.ensurePort(namespace, name, port, port.cidrs, present.get(name));
    }
    const removedFloating: string[] = [];
    if (router.gateway) {
      const name = deviceNames.routerGateway(router.gateway.portId);
      wanted.add(name);
      const floating = router.floatingIps.map((f) => `${f.floatingIpAddress}/32`);
      const had = present.get(name)?.cidrs ?? [];
      removedFloating.push(...had.filter((c) => c.endsWith('/32') && !floating.includes(c) && !router.gateway!.cidrs.includes(c)));
      await this.ensurePort(namespace, name, router.gateway, [...router.gateway.cidrs, ...floating], present.get(name));
      await this.ensureDefaultRoute(namespace, name, router.gateway.gatewayIp);
      for (const cidr of [...router.gateway.cidrs, ...floating]) {
        if (!had.includes(cidr)) await announce(namespace, name, cidr.split('/')[0]!);
      }
    }
    for (const name of present.keys()) {
      if (!wanted.has(name)) await this.removePort(namespace, name);
    }
    await runHostCommand('nft', ['-f', '-'], { namespace, input: natRuleset(router) });
    // Connections already translated for a floating IP that is gone would keep flowing otherwise (Neutron flushes them too).
    for (const cidr of removedFloating) await this.forgetConnections(namespace, cidr.split('/')[0]!);
    this.logger?.debug({ router: router.routerId, interfaces: router.interfaces.length, floating_ips: router.floatingIps.length }, 'router synced');
  }

  private async ensureNamespace(namespace: string): Promise<void> {
    if (!(await linkDetails(namespace, 'lo'))) {
      await ipIgnoringAbsence(undefined, ['netns', 'add', namespace]);
    }
    await runHostCommand('ip', ['-n', namespace, 'link', 'set', 'dev', 'lo', 'up', 'alias', this.ownerTag]);
    await runHostCommand('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1'], { namespace });
    // Best effort: IPv6 may be disabled on the host, and this router then forwards IPv4 only.
    await runHostCommand('sysctl', ['-q', '-w', 'net.ipv6.conf.all.forwarding=1'], { namespace }).catch(() => undefined);
  }

  /** A veth from the network's bridge into the router, with the port's MAC and exactly `cidrs`. */
  private async ensurePort(namespace: string, name: string, port: RouterInterfaceState, cidrs: readonly string[], present: LinkAddresses | undefined): Promise<void> {
    const host = this.hostNamespace;
    const peer = peerOf(name);
    if (present && !(await linkExists(host, peer))) {
      // Half a veth cannot be mended: start over.
      await ipIgnoringAbsence(namespace, ['link', 'del', 'dev', name]);
      present = undefined;
    }
    if (!present) {
      // A leftover bridge-side end (its router namespace was removed under it) would block the name.
      await ipIgnoringAbsence(host, ['link', 'del', 'dev', peer]);
      const bridge = deviceNames.bridge(port.networkId);
      const mtu = (await linkDetails(host, bridge))?.mtu ?? (await ensureBridge(host, port.networkId, DEFAULT_MTU), DEFAULT_MTU);
      await runHostCommand('ip', ipArgs(host, [
        'link', 'add', peer, 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', name, 'mtu', String(mtu), 'netns', namespace,
      ]));
    }
    await attachToBridge(host, peer, port.networkId);
    if (present?.mac !== port.macAddress.toLowerCase()) {
      await runHostCommand('ip', ['-n', namespace, 'link', 'set', 'dev', name, 'address', port.macAddress]);
    }
    await runHostCommand('ip', ['-n', namespace, 'link', 'set', 'dev', name, 'up']);
    const had = present?.cidrs ?? [];
    for (const cidr of had) {
      if (!cidrs.includes(cidr)) await ipIgnoringAbsence(namespace, ['addr', 'del', cidr, 'dev', name]);
    }
    for (const cidr of cidrs) {
      if (!had.includes(cidr)) await runHostCommand('ip', ['-n', namespace, 'addr', 'replace', cidr, 'dev', name]);
    }
  }

  private async ensureDefaultRoute(namespace: string, gatewayDevice: string, gatewayIp: string | null): Promise<void> {
    if (gatewayIp === null) {
      await ipIgnoringAbsence(namespace, ['-4', 'route', 'del', 'default']);
      return;
    }
    const family = gatewayIp.includes(':') ? '-6' : '-4';
    await runHostCommand('ip', ['-n', namespace, family, 'route', 'replace', 'default', 'via', gatewayIp, 'dev', gatewayDevice]);
  }

  /** Deletes one qr-/qg- veth (both ends go together) and the bridge it leaves empty. */
  private async removePort(namespace: string, name: string): Promise<void> {
    const bridge = (await linkDetails(this.hostNamespace, peerOf(name)))?.master ?? null;
    await ipIgnoringAbsence(namespace, ['link', 'del', 'dev', name]);
    if (bridge) await releaseBridgeIfEmpty(this.hostNamespace, networkKeyOfBridge(bridge));
  }

  private async removeRouter(namespace: string): Promise<void> {
    for (const link of await routerLinks(namespace)) await this.removePort(namespace, link.ifname);
    await ipIgnoringAbsence(undefined, ['netns', 'del', namespace]);
    this.logger?.info({ namespace }, 'router removed');
  }

  private async forgetConnections(namespace: string, floatingIp: string): Promise<void> {
    // conntrack exits non-zero when nothing matched, which is the usual case.
    for (const direction of ['--orig-dst', '--reply-dst']) {
      await runHostCommand('conntrack', ['-D', direction, floatingIp], { namespace }).catch(() => undefined);
    }
  }
}

