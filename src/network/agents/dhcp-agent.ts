/** The DHCP agent (Neutron's): a dnsmasq per network with a DHCP-enabled subnet, through its driver. */
import { internalContext, newRequestId } from '../../bus/context.js';
import type { DhcpDriver } from './drivers.js';
import type { AgentKind } from './agent-loop.js';
import type { ResourceChange } from './notifications.js';
import type { PluginRpcClient } from './plugin-rpc.js';
import { AGENT_IDENTITIES } from './agent-types.js';

/** Host entries come from ports; subnets and networks decide what is served. */
const DHCP_RESOURCES = new Set(['port', 'instance_ports', 'subnet', 'network']);

export class DhcpAgent implements AgentKind {
  readonly identity = AGENT_IDENTITIES.dhcp;
  private networks = 0;

  constructor(private readonly host: string, private readonly plugin: PluginRpcClient, readonly driver: DhcpDriver) {}

  cares(change: ResourceChange): boolean {
    return DHCP_RESOURCES.has(change.resource);
  }

  async sync(): Promise<void> {
    const networks = await this.plugin.getDhcpNetworks(internalContext(newRequestId()), { host: this.host });
    await this.driver.syncNetworks(networks);
    this.networks = networks.length;
  }

  async configurations(): Promise<Record<string, unknown>> {
    return { dhcp_driver: 'dnsmasq', networks: this.networks, ports: 0, subnets: 0, dhcp_lease_duration: 86400, notifies_port_ready: true };
  }

  stop(): Promise<void> {
    return this.driver.stop();
  }
}
