/**
 * The agents' drivers as [network] driver names them: noop (records what it
 * is given; the fake driver's cloud) or linuxbridge (the kernel data path).
 * The linuxbridge modules load only when chosen, so a noop cloud never loads
 * the code that runs ip, iptables and dnsmasq.
 */
import type { Logger } from 'pino';
import type { DhcpDriver, MetadataProxyDriver, PortDataPath, RouterDriver } from './drivers.js';
import { runHostCommand } from './host-commands.js';
import { NoopDhcpDriver, NoopMetadataProxyDriver, NoopPortDataPath, NoopRouterDriver } from './noop/drivers.js';

export type DataPathDriver = 'noop' | 'linuxbridge';

export interface DriverOptions {
  driver: DataPathDriver;
  /** [linuxbridge] host_namespace; empty: the root namespace. */
  hostNamespace: string;
  /** Where drivers keep their files (dnsmasq's hosts files). */
  stateDir: string;
  /** The metadata proxies' files and the metadata agent's socket they forward to (./metadata/config.ts). */
  metadataProxy: { stateDir: string; agentSocket: string };
  logger: Logger;
}

/**
 * Makes the configured host namespace when it is missing (a fresh boot
 * empties /run/netns), so the data path can live there from the first start.
 */
async function ensureHostNamespace(name: string): Promise<void> {
  if (!name) return;
  const existing = (await runHostCommand('ip', ['netns', 'list'])).split('\n').map((l) => l.trim().split(' ')[0]);
  if (existing.includes(name)) return;
  await runHostCommand('ip', ['netns', 'add', name]).catch(async (err: unknown) => {
    // Another agent of this host made it first.
    if (!(await runHostCommand('ip', ['netns', 'list'])).split('\n').some((l) => l.trim().split(' ')[0] === name)) throw err;
  });
  await runHostCommand('ip', ['-n', name, 'link', 'set', 'dev', 'lo', 'up']);
}

/** A compute host's data path (the L2 agent's driver). */
export async function loadPortDataPath(opts: DriverOptions): Promise<PortDataPath> {
  if (opts.driver === 'noop') return new NoopPortDataPath();
  await ensureHostNamespace(opts.hostNamespace);
  const { LinuxBridgePortDataPath } = await import('./linuxbridge/port-data-path.js');
  return new LinuxBridgePortDataPath({ hostNamespace: opts.hostNamespace || undefined, logger: opts.logger.child({ component: 'port-data-path' }) });
}

export interface NetworkNodeDrivers {
  dhcp: DhcpDriver;
  router: RouterDriver;
  metadataProxy: MetadataProxyDriver;
}

/** The network node's drivers (the DHCP and L3 agents', and the metadata proxy the DHCP driver starts per network). */
export async function loadNetworkNodeDrivers(opts: DriverOptions): Promise<NetworkNodeDrivers> {
  if (opts.driver === 'noop') return { dhcp: new NoopDhcpDriver(), router: new NoopRouterDriver(), metadataProxy: new NoopMetadataProxyDriver() };
  await ensureHostNamespace(opts.hostNamespace);
  const [{ LinuxBridgeDhcpDriver }, { LinuxBridgeRouterDriver }, { HaproxyMetadataProxyDriver }] = await Promise.all([
    import('./linuxbridge/dhcp-driver.js'), import('./linuxbridge/router-driver.js'), import('./linuxbridge/metadata-proxy.js'),
  ]);
  const hostNamespace = opts.hostNamespace || undefined;
  const metadataProxy = new HaproxyMetadataProxyDriver({
    stateDir: opts.metadataProxy.stateDir, agentSocket: opts.metadataProxy.agentSocket, logger: opts.logger.child({ component: 'metadata-proxy' }),
  });
  return {
    metadataProxy,
    dhcp: new LinuxBridgeDhcpDriver({ hostNamespace, stateDir: opts.stateDir, metadataProxy, logger: opts.logger }),
    router: new LinuxBridgeRouterDriver({ hostNamespace, logger: opts.logger.child({ component: 'router-driver' }) }),
  };
}
