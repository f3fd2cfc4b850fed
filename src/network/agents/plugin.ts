/**
 * The network service's side of the agent RPC (topic q-plugin), served by the
 * process that hosts the network service: each handler answers from the
 * service's tables through AgentStates, and report_state keeps the agents
 * table's heartbeats.
 */
import type { Logger } from 'pino';
import { RpcServer } from '../../bus/rpc.js';
import type { Transport } from '../../bus/transport.js';
import type { RequestContext } from '../../bus/context.js';
import { rpcEndpoint, type RpcArgs, type RpcHandlers } from '../../rpc/rpc-api.js';
import type { NetworkService } from '../service.js';
import { PLUGIN_RPC_API, type PortForAddress } from './plugin-rpc.js';
import type { DhcpNetworkState, DhcpPortEntries, HostPortState, RouterState } from './state.js';

type Api = typeof PLUGIN_RPC_API;

export class AgentPlugin implements RpcHandlers<Api> {
  constructor(private readonly network: NetworkService, private readonly logger: Logger) {}

  getHostPorts(_ctx: RequestContext, { host, portIds }: RpcArgs<Api, 'get_host_ports'>): Promise<HostPortState[]> {
    return this.network.agentStates.hostPorts(host, portIds);
  }

  /** Only a DHCP agent asks, so asking is what gives a network its DHCP port (as Neutron's agent creates it). */
  getDhcpNetworks(_ctx: RequestContext, { host }: RpcArgs<Api, 'get_dhcp_networks'>): Promise<DhcpNetworkState[]> {
    return this.network.agentStates.dhcpNetworks({ ensurePorts: true, host: host ?? '' });
  }

  getDhcpPort(_ctx: RequestContext, { portId }: RpcArgs<Api, 'get_dhcp_port'>): Promise<DhcpPortEntries | null> {
    return this.network.agentStates.dhcpPortEntries(portId);
  }

  getRouters(): Promise<RouterState[]> {
    return this.network.agentStates.routers();
  }

  getPortForAddress(_ctx: RequestContext, { networkId, ipAddress }: RpcArgs<Api, 'get_port_for_address'>): Promise<PortForAddress | null> {
    return this.network.agentStates.portForAddress(networkId, ipAddress);
  }

  async reportState(_ctx: RequestContext, { agent }: RpcArgs<Api, 'report_state'>): Promise<boolean> {
    const row = await this.network.agents.report({
      agentType: agent.agent_type, binary: agent.binary, host: agent.host, topic: agent.topic,
      availabilityZone: agent.availability_zone ?? null, configurations: agent.configurations, startFlag: agent.start_flag,
    });
    if (agent.start_flag) this.logger.info({ agent_type: agent.agent_type, host: agent.host }, 'agent started');
    return row.admin_state_up === 1;
  }
}

/** Serves q-plugin for `network` until the returned server stops. */
export async function servePluginRpc(transport: Transport, network: NetworkService, logger: Logger): Promise<RpcServer> {
  const log = logger.child({ service: 'network-plugin' });
  const server = new RpcServer(transport, PLUGIN_RPC_API.topic, rpcEndpoint(PLUGIN_RPC_API, new AgentPlugin(network, log)), log);
  await server.start();
  return server;
}
