/** The L3 agent (Neutron's, legacy mode): a qrouter- namespace per router, through its driver. */
import { internalContext, newRequestId } from '../../bus/context.js';
import type { RouterDriver } from './drivers.js';
import type { AgentKind } from './agent-loop.js';
import type { ResourceChange } from './notifications.js';
import type { PluginRpcClient } from './plugin-rpc.js';
import { AGENT_IDENTITIES } from './agent-types.js';

/** Routers (their interfaces and gateways change through them), floating IPs, and the subnets and networks behind them. */
const L3_RESOURCES = new Set(['router', 'floatingip', 'subnet', 'network']);
/** A deleted port takes its floating IP's association with it; other port changes leave routers as they are. */
const L3_ON_DELETE = new Set(['port', 'instance_ports']);

export class L3Agent implements AgentKind {
  readonly identity = AGENT_IDENTITIES.l3;
  private routers = 0;
  private floatingIps = 0;

  constructor(private readonly plugin: PluginRpcClient, readonly driver: RouterDriver) {}

  cares(change: ResourceChange): boolean {
    return L3_RESOURCES.has(change.resource) || (change.action === 'delete' && L3_ON_DELETE.has(change.resource));
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
