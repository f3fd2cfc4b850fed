/**
 * The DHCP agent's driver on a Linux bridge host, after Neutron's Dnsmasq
 * driver: per network a qdhcp- namespace holding the DHCP port (a veth on the
 * network's bridge), a dnsmasq serving static leases from the ports' host
 * entries, and the metadata proxy on 169.254.169.254 when asked.
 *
 * Level-triggered: every sync makes the kernel match the whole desired state.
 * New hosts and option changes rewrite dnsmasq's files and SIGHUP it; a
 * change of its command line (subnets, MTU), of the port's addresses, or a
 * host entry gone (its lease would hold the address) restarts it.
 * What a previous run left is found through the state directory
 * (`<stateDir>/dhcp/<network id>/`, as Neutron lists its conf dirs), never by
 * guessing from namespace names alone, so two agents on one machine (the
 * tests) never remove each other's networks. dnsmasq drops to an unprivileged
 * user and re-reads its files as that user, so the state directory must be
 * searchable by everyone.
 */
import fs from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import type { DhcpDriver, MetadataProxyDriver } from '../drivers.js';
import { deviceNames, namespaceNames, type DhcpNetworkState } from '../state.js';
import { ensureDhcpWiring, removeDhcpWiring } from './dhcp-namespace.js';
import {
  DEFAULT_LEASE_SECONDS,
  addnHostsFileText,
  dhcpSubnets,
  dnsmasqCommand,
  dnsmasqFiles,
  hostsFileText,
  leasedPairs,
  optsFileText,
  type DnsmasqFiles,
} from './dnsmasq-config.js';
import { findDnsmasq, reloadDnsmasq, sameArgv, startDnsmasq, stopDnsmasq } from './dnsmasq-process.js';

export interface LinuxBridgeDhcpDriverOptions {
  /** the data path's namespace holding the bridges (`[linuxbridge] host_namespace`); undefined = root */
  hostNamespace?: string;
  /** dnsmasq's files live under `<stateDir>/dhcp/<network id>/` */
  stateDir: string;
  metadataProxy: MetadataProxyDriver;
  logger?: Logger;
  dnsmasqBinary?: string;
  leaseSeconds?: number;
}

/** What this instance last made real for a network, so an unchanged network costs no kernel calls. */
interface Served {
  wiringKey: string;
  metadata: boolean;
}

export class LinuxBridgeDhcpDriver implements DhcpDriver {
  private readonly hostNamespace: string | undefined;
  private readonly confDir: string;
  private readonly metadataProxy: MetadataProxyDriver;
  private readonly log: Logger;
  private readonly binary: string;
  private readonly leaseSeconds: number;
  private readonly served = new Map<string, Served>();
  /** false until the first sync after construction or stop(): that one adopts or removes what is left */
  private adopted = false;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(opts: LinuxBridgeDhcpDriverOptions) {
    this.hostNamespace = opts.hostNamespace || undefined;
    this.confDir = path.join(opts.stateDir, 'dhcp');
    this.metadataProxy = opts.metadataProxy;
    this.log = (opts.logger ?? pino({ level: 'silent' })).child({ component: 'dhcp-driver' });
    this.binary = opts.dnsmasqBinary ?? 'dnsmasq';
    this.leaseSeconds = opts.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
  }

  syncNetworks(networks: readonly DhcpNetworkState[]): Promise<void> {
    return this.serialized(() => this.sync(networks));
  }

  stop(): Promise<void> {
    return this.serialized(async () => {
      for (const networkId of this.served.keys()) await stopDnsmasq(this.files(networkId).pidFile);
      await this.metadataProxy.stop();
      this.served.clear();
      this.adopted = false;
    });
  }

  /** Syncs and stops never interleave: each sees the kernel as the previous one left it. */
  private serialized(fn: () => Promise<void>): Promise<void> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async sync(networks: readonly DhcpNetworkState[]): Promise<void> {
    const desired = new Set(networks.map((n) => n.networkId));
    const failures: string[] = [];
    const attempt = async (networkId: string, what: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (err) {
        this.log.error({ err, networkId }, `DHCP ${what} failed`);
        failures.push(`${networkId}: ${(err as Error).message}`);
      }
    };
    if (!this.adopted) {
      fs.mkdirSync(this.confDir, { recursive: true, mode: 0o755 });
      this.warnIfUnreadable();
      // What a previous run served is recorded by its state dirs: those not desired are
      // removed below with the rest, and retried on the next sync if that fails.
      for (const entry of fs.readdirSync(this.confDir, { withFileTypes: true })) {
        if (entry.isDirectory() && !desired.has(entry.name)) this.served.set(entry.name, { wiringKey: '', metadata: true });
      }
      this.adopted = true;
    }
    for (const network of networks) await attempt(network.networkId, 'sync', () => this.ensureNetwork(network));
    for (const networkId of [...this.served.keys()]) {
      if (!desired.has(networkId)) await attempt(networkId, 'removal', () => this.removeNetwork(networkId));
    }
    if (failures.length > 0) throw new Error(`DHCP sync failed for ${failures.length} network(s): ${failures.join('; ')}`);
  }

  /** dnsmasq re-reads its files on SIGHUP as an unprivileged user: a private directory on the path makes reloads fail silently. */
  private warnIfUnreadable(): void {
    for (let dir = this.confDir; ; dir = path.dirname(dir)) {
      if ((fs.statSync(dir).mode & 0o001) === 0) {
        this.log.warn({ dir }, 'directory not searchable by others: dnsmasq cannot re-read its hosts file on reload');
        return;
      }
      if (path.dirname(dir) === dir) return;
    }
  }

  private files(networkId: string): DnsmasqFiles {
    return dnsmasqFiles(path.join(this.confDir, networkId));
  }

  private async ensureNetwork(network: DhcpNetworkState): Promise<void> {
    const { networkId } = network;
    const ns = namespaceNames.dhcp(networkId);
    const files = this.files(networkId);
    const previous = this.served.get(networkId);
    fs.mkdirSync(files.dir, { recursive: true, mode: 0o755 });

    const wiringKey = JSON.stringify([network.mtu, network.dhcpPort, network.subnets.map((s) => [s.id, s.cidr]), network.metadata]);
    // Unknown to this instance (first sync, adoption) or changed: check every kernel object.
    const rewired = previous?.wiringKey === wiringKey ? false : await ensureDhcpWiring(this.hostNamespace, network);
    if (network.metadata && !previous?.metadata) await this.metadataProxy.ensureProxy(ns, networkId);
    if (!network.metadata && (previous?.metadata ?? true)) await this.metadataProxy.removeProxy(networkId);

    const hostsText = hostsFileText(network);
    const stillServed = leasedPairs(hostsText);
    const hostsRemoved = [...leasedPairs(readOrEmpty(files.hostsFile))].some((pair) => !stillServed.has(pair));
    // A dnsmasq this instance has not reloaded yet may predate the files (a crash between write and SIGHUP).
    const filesChanged = [
      !previous,
      writeIfChanged(files.hostsFile, hostsText),
      writeIfChanged(files.addnHostsFile, addnHostsFileText(network)),
      writeIfChanged(files.optsFile, optsFileText(network)),
    ].some(Boolean);

    await this.ensureDnsmasq(network, files, { restart: rewired || hostsRemoved, filesChanged });
    this.served.set(networkId, { wiringKey, metadata: network.metadata });
  }

  private async ensureDnsmasq(network: DhcpNetworkState, files: DnsmasqFiles, changes: { restart: boolean; filesChanged: boolean }): Promise<void> {
    const ns = namespaceNames.dhcp(network.networkId);
    if (dhcpSubnets(network).length === 0) {
      // Nothing to hand out (Neutron disables dnsmasq); the namespace stays for the metadata proxy.
      await stopDnsmasq(files.pidFile);
      return;
    }
    const argv = dnsmasqCommand(network, files, {
      binary: this.binary,
      interfaceName: deviceNames.dhcpInside(network.dhcpPort.portId),
      leaseSeconds: this.leaseSeconds,
    });
    const running = findDnsmasq(files.pidFile);
    if (running && !changes.restart && sameArgv(running.argv, argv)) {
      if (!changes.filesChanged || reloadDnsmasq(running.pid)) return;
    }
    await stopDnsmasq(files.pidFile);
    const pid = await startDnsmasq(ns, argv, files.pidFile);
    this.log.info({ networkId: network.networkId, pid }, 'dnsmasq started');
  }

  private async removeNetwork(networkId: string): Promise<void> {
    const files = this.files(networkId);
    await stopDnsmasq(files.pidFile);
    await this.metadataProxy.removeProxy(networkId);
    await removeDhcpWiring(this.hostNamespace, networkId);
    fs.rmSync(files.dir, { recursive: true, force: true });
    this.served.delete(networkId);
    this.log.info({ networkId }, 'DHCP for network removed');
  }
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Replaces a file atomically when its content differs (dnsmasq may read it at any moment); true when written. */
function writeIfChanged(file: string, text: string): boolean {
  if (fs.existsSync(file) && readOrEmpty(file) === text) return false;
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o644 });
  fs.renameSync(tmp, file);
  return true;
}
