/**
 * The agents' drivers as [network] driver names them: noop (records what it
 * is given; the fake driver's cloud) or linuxbridge (the kernel data path).
 * The linuxbridge modules load only when chosen, so a noop cloud never loads
 * the code that runs ip, iptables and dnsmasq.
 */
import type { Logger } from 'pino';
import type { DhcpDriver, MetadataProxyDriver, PortDataPath, RouterDriver } from './drivers.js';
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

export class DriverUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DriverUnavailable';
  }
}

/**
 * Loads a linuxbridge module that is not on main yet by name, so that this
 * module builds before it exists; from the bundled command (dist/cli-chunks)
 * the compiled module under dist/src is tried next. Once it is on main, a
 * literal import (as for the network node's drivers below) is better.
 */
async function pendingLinuxbridgeModule(name: string): Promise<Record<string, unknown>> {
  const candidates = [`./linuxbridge/${name}.js`, new URL(`../src/network/agents/linuxbridge/${name}.js`, import.meta.url).href];
  let last: unknown;
  for (const specifier of candidates) {
    try {
      return await import(specifier) as Record<string, unknown>;
    } catch (err) {
      last = err;
    }
  }
  throw new DriverUnavailable(`[network] driver = linuxbridge needs src/network/agents/linuxbridge/${name}.ts, which could not be loaded: ${(last as Error)?.message ?? String(last)}`);
}

/** A compute host's data path (the L2 agent's driver). */
export async function loadPortDataPath(opts: DriverOptions): Promise<PortDataPath> {
  if (opts.driver === 'noop') return new NoopPortDataPath();
  const cls = (await pendingLinuxbridgeModule('port-data-path')).LinuxBridgePortDataPath;
  if (typeof cls !== 'function') throw new DriverUnavailable('src/network/agents/linuxbridge/port-data-path.ts exports no LinuxBridgePortDataPath');
  const PortDataPathClass = cls as new (o: { hostNamespace?: string; logger?: Logger }) => PortDataPath;
  return new PortDataPathClass({ hostNamespace: opts.hostNamespace, logger: opts.logger.child({ component: 'port-data-path' }) });
}

export interface NetworkNodeDrivers {
  dhcp: DhcpDriver;
  router: RouterDriver;
  metadataProxy: MetadataProxyDriver;
}

/** The network node's drivers (the DHCP and L3 agents', and the metadata proxy the DHCP driver starts per network). */
export async function loadNetworkNodeDrivers(opts: DriverOptions): Promise<NetworkNodeDrivers> {
  if (opts.driver === 'noop') return { dhcp: new NoopDhcpDriver(), router: new NoopRouterDriver(), metadataProxy: new NoopMetadataProxyDriver() };
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
