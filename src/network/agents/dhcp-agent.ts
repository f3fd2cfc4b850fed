/** The DHCP agent (Neutron's): a dnsmasq per network with a DHCP-enabled subnet, through its driver. */
import { internalContext, newRequestId } from '../../bus/context.js';
import type { DhcpDriver } from './drivers.js';
import type { AgentKind } from './agent-loop.js';
import type { ResourceChange } from './notifications.js';
import type { PluginRpcClient } from './plugin-rpc.js';
import type { DhcpHostEntry, DhcpNetworkState } from './state.js';
import { AGENT_IDENTITIES } from './agent-types.js';

/** Host entries come from ports; subnets and networks decide what is served. */
const DHCP_RESOURCES = new Set(['port', 'instance_ports', 'subnet', 'network']);

const entriesKey = (hosts: readonly DhcpHostEntry[]): string =>
  JSON.stringify(hosts.map((h) => [h.macAddress, h.ipAddress, h.hostname]).sort());

export class DhcpAgent implements AgentKind {
  readonly identity = AGENT_IDENTITIES.dhcp;
  /** What the last sync made real, by network; empty while unknown (before the first sync, after a failed one). */
  private served = new Map<string, DhcpNetworkState>();
  private networks = 0;
  /** Syncs started, and whether one runs: a port compared meanwhile may be rewritten by it. */
  private syncsStarted = 0;
  private syncing = false;

  constructor(private readonly host: string, private readonly plugin: PluginRpcClient, readonly driver: DhcpDriver) {}

  cares(change: ResourceChange): boolean {
    return DHCP_RESOURCES.has(change.resource);
  }

  async sync(): Promise<void> {
    this.syncsStarted++;
    this.syncing = true;
    try {
      const networks = await this.plugin.getDhcpNetworks(internalContext(newRequestId()), { host: this.host });
      await this.driver.syncNetworks(networks);
      this.served = new Map(networks.map((n) => [n.networkId, n]));
      this.networks = networks.length;
    } catch (err) {
      this.served = new Map();
      throw err;
    } finally {
      this.syncing = false;
    }
  }

  /**
   * Most port updates (a binding, a name, its groups) leave its host entries
   * as they were: when the plugin's entries for the port are those the last
   * sync served, there is nothing to do, and the network's every port is not
   * read again. A new or deleted port, the DHCP port itself, a difference, or
   * a sync running meanwhile (it may write an older state) take a sync.
   */
  async handle(change: ResourceChange): Promise<boolean> {
    if (change.resource !== 'port' || change.action !== 'update' || this.syncing) return false;
    const generation = this.syncsStarted;
    const port = await this.plugin.getDhcpPort(internalContext(newRequestId()), { portId: change.id });
    if (this.syncing || generation !== this.syncsStarted || !port || port.dhcpPort) return false;
    const network = this.served.get(port.networkId);
    if (!network || network.dhcpPort.portId === change.id) return false;
    return entriesKey(network.hosts.filter((h) => h.portId === change.id)) === entriesKey(port.hosts);
  }

  async configurations(): Promise<Record<string, unknown>> {
    return { dhcp_driver: 'dnsmasq', networks: this.networks, ports: 0, subnets: 0, dhcp_lease_duration: 86400, notifies_port_ready: true };
  }

  stop(): Promise<void> {
    return this.driver.stop();
  }
}
