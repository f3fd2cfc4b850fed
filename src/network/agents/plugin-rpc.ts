/**
 * The network service's RPC API for its agents (Neutron's plugin RPC, topic
 * q-plugin), declared once for the agents' client and the plugin's handlers.
 * Each answer is a host's or the cloud's whole desired state (./state.ts), so
 * an agent syncs by asking and handing the answer to its driver.
 */
import { bool, listOf, nullable, optional, record, str, struct } from '../../rpc/codecs.js';
import { call, createRpcClient, declareRpcApi, type RpcApiClient } from '../../rpc/rpc-api.js';
import type { RpcClient } from '../../bus/rpc.js';
import type { DhcpNetworkState, DhcpPortEntries, HostPortState, RouterState } from './state.js';

/** Who owns an address on a network: what the metadata agent needs to name the instance. */
export interface PortForAddress {
  port_id: string;
  device_id: string;
  device_owner: string;
  project_id: string;
}

const agentState = struct('an agent state', {
  agent_type: str, binary: str, host: str, topic: str,
  availability_zone: optional(nullable(str)),
  configurations: record<Record<string, unknown>>('configurations'),
  start_flag: bool,
});

export const PLUGIN_RPC_API = declareRpcApi({
  service: 'network-plugin',
  topic: 'q-plugin',
  routing: 'topic',
  version: '1.1',
  methods: {
    /** The ports bound to `host` (only `port_ids` of them when given), with their rules expanded. */
    get_host_ports: call('1.0', { host: str, port_ids: optional(listOf(str)) }, listOf(record<HostPortState>('a host port'))),
    /** Every network with a DHCP-enabled subnet, each with its DHCP port (made if missing, bound to `host`) and host entries. */
    get_dhcp_networks: call('1.0', { host: optional(str) }, listOf(record<DhcpNetworkState>('a DHCP network'))),
    /** One port's DHCP host entries (null: the port is gone), which a DHCP agent compares with what it serves. */
    get_dhcp_port: call('1.1', { port_id: str }, nullable(record<DhcpPortEntries>("a port's DHCP entries"))),
    get_routers: call('1.0', {}, listOf(record<RouterState>('a router'))),
    get_port_for_address: call('1.0', { network_id: str, ip_address: str }, nullable(record<PortForAddress>('a port'))),
    /** An agent's heartbeat; answers whether the agent's admin state is up (a disabled agent keeps what it has but adds nothing). */
    report_state: call('1.0', { agent: agentState }, bool),
  },
});

export type PluginRpcClient = RpcApiClient<typeof PLUGIN_RPC_API>;

export function pluginRpcClient(rpc: RpcClient): PluginRpcClient {
  return createRpcClient(PLUGIN_RPC_API, rpc);
}
