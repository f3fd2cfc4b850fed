/**
 * The agents' drivers as [network] driver names them: noop (records what it
 * is given; the fake driver's cloud) or linuxbridge (the kernel data path).
 * The linuxbridge modules load only when chosen, so a noop cloud never loads
 * the code that runs ip, iptables and dnsmasq.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { DhcpDriver, MetadataProxyDriver, PortDataPath, RouterDriver } from './drivers.js';
import { NoopDhcpDriver, NoopMetadataProxyDriver, NoopPortDataPath, NoopRouterDriver } from './noop/drivers.js';

export type DataPathDriver = 'noop' | 'linuxbridge';

export interface DriverOptions {
  driver: DataPathDriver;
  /** [linuxbridge] host_namespace; empty: the root namespace. */
  hostNamespace: string;
  /** Where drivers keep their files (dnsmasq's hosts files, haproxy configurations). */
  stateDir: string;
  logger: Logger;
}

export class DriverUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DriverUnavailable';
  }
}

/**
 * Loads a linuxbridge module by name. Its path is not written out as a
 * literal import so that this module builds before those modules exist;
 * from the bundled command (dist/cli-chunks) the compiled module under
 * dist/src is tried next. Once they are on main, literal imports are better.
 */
async function linuxbridgeModule(name: string): Promise<Record<string, unknown>> {
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

type Ctor<T> = new (opts: Record<string, unknown>) => T;

async function linuxbridgeClass<T>(module: string, name: string): Promise<Ctor<T>> {
  const cls = (await linuxbridgeModule(module))[name];
  if (typeof cls !== 'function') throw new DriverUnavailable(`src/network/agents/linuxbridge/${module}.ts exports no ${name}`);
  return cls as Ctor<T>;
}

/** A compute host's data path (the L2 agent's driver). */
export async function loadPortDataPath(opts: DriverOptions): Promise<PortDataPath> {
  if (opts.driver === 'noop') return new NoopPortDataPath();
  const PortDataPathClass = await linuxbridgeClass<PortDataPath>('port-data-path', 'LinuxBridgePortDataPath');
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
  const [Dhcp, Router, Proxy] = await Promise.all([
    linuxbridgeClass<DhcpDriver>('dhcp-driver', 'LinuxBridgeDhcpDriver'),
    linuxbridgeClass<RouterDriver>('router-driver', 'LinuxBridgeRouterDriver'),
    linuxbridgeClass<MetadataProxyDriver>('metadata-proxy', 'HaproxyMetadataProxyDriver'),
  ]);
  const common = { hostNamespace: opts.hostNamespace };
  const metadataProxy = new Proxy({ ...common, stateDir: path.join(opts.stateDir, 'metadata-proxy'), logger: opts.logger.child({ component: 'metadata-proxy' }) });
  return {
    metadataProxy,
    dhcp: new Dhcp({ ...common, stateDir: opts.stateDir, metadataProxy, logger: opts.logger.child({ component: 'dhcp-driver' }) }),
    router: new Router({ ...common, logger: opts.logger.child({ component: 'router-driver' }) }),
  };
}
