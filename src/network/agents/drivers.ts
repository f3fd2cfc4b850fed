/**
 * The host-side drivers the network agents call, each given the whole desired
 * state for its host and making the kernel match (and so also reconciling
 * after a restart). `linuxbridge` implementations drive the kernel; `noop`
 * ones (the fake driver's data path) only remember what they were given, and
 * both pass one contract suite.
 */
import type { DhcpNetworkState, HostPortState, RouterState } from './state.js';

/** The L2 agent's data path: bridges, taps and each port's firewall on a compute host. */
export interface PortDataPath {
  /** Makes this host's wired ports exactly `ports`: wires new ones, updates rules, removes the rest. */
  syncPorts(ports: readonly HostPortState[]): Promise<void>;
  /**
   * Wires one port now, with its rules; idempotent. By default the caller says the hypervisor
   * is done with the tap (the compute manager, after a spawn). `tapReady: false` (a port change
   * from the server) writes the rules and wires the tap only where the data path would not
   * disturb a guest still starting; a missing tap is then no error.
   */
  plugPort(port: HostPortState, opts?: { tapReady?: boolean }): Promise<void>;
  /** Removes the port's tap from its bridge, its rules, and the bridge if left empty; idempotent. */
  unplugPort(portId: string): Promise<void>;
  /** Ports currently wired (for the agent's reports and the tests). */
  wiredPorts(): Promise<string[]>;
}

/** The DHCP agent's driver: a qdhcp- namespace and a dnsmasq per network, and the metadata proxy. */
export interface DhcpDriver {
  syncNetworks(networks: readonly DhcpNetworkState[]): Promise<void>;
  /** Stops every dnsmasq and proxy it started (namespaces stay, for the next start to adopt). */
  stop(): Promise<void>;
}

/** The L3 agent's driver: a qrouter- namespace per router with its interfaces, SNAT and DNAT. */
export interface RouterDriver {
  syncRouters(routers: readonly RouterState[]): Promise<void>;
}

/**
 * Serves the metadata address (169.254.169.254:80) inside a namespace,
 * forwarding each request to the metadata agent with the network id and the
 * guest's source address (Neutron's haproxy with X-Neutron-Network-ID and
 * X-Forwarded-For). The DHCP driver calls it for every network it serves.
 */
export interface MetadataProxyDriver {
  ensureProxy(namespace: string, networkId: string): Promise<void>;
  removeProxy(networkId: string): Promise<void>;
  /** Stops every proxy it started. */
  stop(): Promise<void>;
}
