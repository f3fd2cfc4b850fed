/**
 * The data path of the fake driver and of hosts without `[network] driver =
 * linuxbridge`: it touches no kernel, only records what it was asked to make,
 * so the emulator mode and the tests can assert what a real host would have
 * wired. Honest to the contract: idempotent, and a sync removes what is not
 * in the desired state.
 */
import type { DhcpDriver, MetadataProxyDriver, PortDataPath, RouterDriver } from '../drivers.js';
import type { DhcpNetworkState, HostPortState, RouterState } from '../state.js';

export class NoopPortDataPath implements PortDataPath {
  readonly ports = new Map<string, HostPortState>();

  async syncPorts(ports: readonly HostPortState[]): Promise<void> {
    this.ports.clear();
    for (const p of ports) this.ports.set(p.portId, p);
  }

  async plugPort(port: HostPortState): Promise<void> {
    this.ports.set(port.portId, port);
  }

  async unplugPort(portId: string): Promise<void> {
    this.ports.delete(portId);
  }

  async wiredPorts(): Promise<string[]> {
    return [...this.ports.keys()];
  }
}

export class NoopDhcpDriver implements DhcpDriver {
  readonly networks = new Map<string, DhcpNetworkState>();

  async syncNetworks(networks: readonly DhcpNetworkState[]): Promise<void> {
    this.networks.clear();
    for (const n of networks) this.networks.set(n.networkId, n);
  }

  async stop(): Promise<void> {}
}

export class NoopRouterDriver implements RouterDriver {
  readonly routers = new Map<string, RouterState>();

  async syncRouters(routers: readonly RouterState[]): Promise<void> {
    this.routers.clear();
    for (const r of routers) this.routers.set(r.routerId, r);
  }
}

export class NoopMetadataProxyDriver implements MetadataProxyDriver {
  readonly proxies = new Map<string, string>();

  async ensureProxy(namespace: string, networkId: string): Promise<void> {
    this.proxies.set(networkId, namespace);
  }

  async removeProxy(networkId: string): Promise<void> {
    this.proxies.delete(networkId);
  }

  async stop(): Promise<void> {
    this.proxies.clear();
  }
}
