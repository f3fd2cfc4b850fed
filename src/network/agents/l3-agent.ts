/** The L3 agent (Neutron's, legacy mode): a qrouter- namespace per router, through its driver. */
import { internalContext, newRequestId } from '../../bus/context.js';
import type { RouterDriver } from './drivers.js';
import type { AgentKind } from './agent-loop.js';
import type { ResourceChange } from './notifications.js';
import type { PluginRpcClient } from './plugin-rpc.js';
import { AGENT_IDENTITIES } from './agent-types.js';

/** Routers, their floating IPs, and the ports and subnets behind their interfaces and gateways. */
const L3_RESOURCES = new Set(['router', 'floatingip', 'port', 'instance_ports', 'subnet', 'network']);

export class L3Agent implements AgentKind {
  readonly identity = AGENT_IDENTITIES.l3;
  private routers = 0;
  private floatingIps = 0;

  constructor(private readonly plugin: PluginRpcClient, readonly driver: RouterDriver) {}

  cares(change: ResourceChange): boolean {
    return L3_RESOURCES.has(change.resource);
  }

  async sync(): Promise<void> {
    const routers = await this.plugin.getRouters(internalContext(newRequestId()));
    await this.driver.syncRouters(routers);
    this.routers = routers.length;
    this.floatingIps = routers.reduce((n, r) => n + r.floatingIps.length, 0);
  }

  async configurations(): Promise<Record<string, unknown>> {
    return { agent_mode: 'legacy', routers: this.routers, floating_ips: this.floatingIps, interfaces: 0, gateway_external_network_id: '' };
  }
}
