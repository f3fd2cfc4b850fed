/**
 * The network agents as each role runs them. The process hosting the network
 * service tells the agents about changes (q-agent-notifier), answers them
 * (q-plugin), and runs the network node's agents: L3 always, DHCP when
 * [network] dhcp_agent says so. Each compute host runs its L2 agent, which
 * its compute manager also asks to wire a server's ports at once.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../conf/options.js';
import type { NetworkService } from '../../network/service.js';
import { AgentLoop } from '../../network/agents/agent-loop.js';
import { busChangeSink } from '../../network/agents/notifications.js';
import { pluginRpcClient } from '../../network/agents/plugin-rpc.js';
import { servePluginRpc } from '../../network/agents/plugin.js';
import { L2Agent } from '../../network/agents/l2-agent.js';
import { DhcpAgent } from '../../network/agents/dhcp-agent.js';
import { L3Agent } from '../../network/agents/l3-agent.js';
import { loadNetworkNodeDrivers, loadPortDataPath, type DriverOptions } from '../../network/agents/load-drivers.js';
import { metadataAgentSettings, metadataProxyStateDir } from '../../network/agents/metadata/config.js';
import { AGENT_IDENTITIES } from '../../network/agents/agent-types.js';
import type { Bus, Cleanups } from './common.js';
import { childLogger } from '../../logger.js';

/** auto: a DHCP agent only beside a real data path, so a noop cloud hands out addresses exactly as one without agents. */
export function dhcpAgentEnabled(conf: Config): boolean {
  return conf.network.dhcp_agent === 'enabled' || (conf.network.dhcp_agent === 'auto' && conf.network.driver === 'linuxbridge');
}

function driverOptions(conf: Config, statePath: string, logger: Logger): DriverOptions {
  return {
    driver: conf.network.driver as DriverOptions['driver'], hostNamespace: conf.linuxbridge.host_namespace,
    stateDir: path.join(statePath, 'network'),
    metadataProxy: { stateDir: metadataProxyStateDir(conf), agentSocket: metadataAgentSettings(conf).socketPath },
    logger,
  };
}

export interface NetworkNodeAgents {
  l3: L3Agent;
  dhcp?: DhcpAgent;
  loops: AgentLoop[];
}

/** In the process hosting the network service: changes fanned out, q-plugin served, the network node's agents started. */
export async function serveNetworkNode(
  deps: { conf: Config; network: NetworkService; bus: Bus; statePath: string; logger: Logger }, cleanups: Cleanups,
): Promise<NetworkNodeAgents> {
  const { conf, network, bus, logger } = deps;
  network.setChangeSink(busChangeSink(bus.rpc, logger.child({ service: 'agent-notifier' })));
  const server = await servePluginRpc(bus.transport, network, logger);
  cleanups.push(() => server.stop());

  const log = logger.child({ service: 'network-agents' });
  const loaded = await loadNetworkNodeDrivers(driverOptions(conf, deps.statePath, log));
  cleanups.push(() => loaded.metadataProxy.stop());
  const plugin = pluginRpcClient(bus.rpc);
  const loopDeps = { host: conf.DEFAULT.host, transport: bus.transport, plugin, reportInterval: conf.agent.report_interval, logger: log };
  const l3 = new L3Agent(plugin, loaded.router);
  const dhcp = dhcpAgentEnabled(conf) ? new DhcpAgent(conf.DEFAULT.host, plugin, loaded.dhcp) : undefined;
  const loops = [new AgentLoop(l3, loopDeps), ...(dhcp ? [new AgentLoop(dhcp, loopDeps)] : [])];
  for (const loop of loops) {
    await loop.start();
    cleanups.push(() => loop.stop());
  }
  return { l3, dhcp, loops };
}

/**
 * The metadata agent (Neutron's neutron-metadata-agent) beside the network
 * service: it answers the proxies the DHCP driver starts in each qdhcp-
 * namespace, so it runs where they do, with [network] driver = linuxbridge.
 * It starts once the metadata API listens (the all-in-one's may have picked
 * its port), finds ports in the network service's own tables, and reports
 * its state like the other agents.
 */
export async function startNetworkMetadataAgent(
  deps: { conf: Config; network: NetworkService; bus: Bus; metadataApiPort?: number; logger: Logger }, cleanups: Cleanups,
): Promise<void> {
  const { conf, logger } = deps;
  if (conf.network.driver !== 'linuxbridge') return;
  const [{ startMetadataAgent }, { networkServicePortLookup }] = await Promise.all([
    import('../../network/agents/metadata/agent.js'), import('../../network/agents/metadata/port-lookup.js'),
  ]);
  const settings = metadataAgentSettings(conf, deps.metadataApiPort);
  const log = logger.child({ service: 'metadata-agent' });
  const agent = await startMetadataAgent({ ...settings, lookupPort: networkServicePortLookup(deps.network), logger: log });
  cleanups.push(() => agent.close());
  const loop = new AgentLoop({
    identity: AGENT_IDENTITIES.metadata,
    // Nothing to make real: the agent answers requests as they come.
    cares: () => false,
    sync: async () => undefined,
    configurations: async () => ({ metadata_proxy_socket: settings.socketPath, nova_metadata_url: settings.novaMetadataUrl, log_agent_heartbeats: false }),
  }, { host: conf.DEFAULT.host, transport: deps.bus.transport, plugin: pluginRpcClient(deps.bus.rpc), reportInterval: conf.agent.report_interval, logger: log });
  await loop.start();
  cleanups.push(() => loop.stop());
}

/** A compute host's L2 agent, with the data path [network] driver names; started by startL2Agent once the host serves. */
export async function createL2Agent(conf: Config, host: string, bus: Bus, statePath: string, logger: Logger): Promise<L2Agent> {
  const dataPath = await loadPortDataPath(driverOptions(conf, statePath, childLogger(logger, { service: 'l2-agent', host })));
  return new L2Agent(host, pluginRpcClient(bus.rpc), dataPath);
}

export async function startL2Agent(agent: L2Agent, conf: Config, host: string, bus: Bus, logger: Logger, cleanups: Cleanups): Promise<AgentLoop> {
  const loop = new AgentLoop(agent, {
    host, transport: bus.transport, plugin: pluginRpcClient(bus.rpc), reportInterval: conf.agent.report_interval, logger: logger.child({ service: 'l2-agent' }),
  });
  await loop.start();
  cleanups.push(() => loop.stop());
  return loop;
}
