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
import { DriverUnavailable, loadNetworkNodeDrivers, loadPortDataPath, type DriverOptions } from '../../network/agents/load-drivers.js';
import { StartupError, type Bus, type Cleanups } from './common.js';

/** auto: a DHCP agent only beside a real data path, so a noop cloud hands out addresses exactly as one without agents. */
export function dhcpAgentEnabled(conf: Config): boolean {
  return conf.network.dhcp_agent === 'enabled' || (conf.network.dhcp_agent === 'auto' && conf.network.driver === 'linuxbridge');
}

function driverOptions(conf: Config, statePath: string, logger: Logger): DriverOptions {
  return {
    driver: conf.network.driver as DriverOptions['driver'], hostNamespace: conf.linuxbridge.host_namespace,
    stateDir: path.join(statePath, 'network'), logger,
  };
}

async function drivers<T>(load: Promise<T>): Promise<T> {
  return load.catch((err: unknown) => {
    throw err instanceof DriverUnavailable ? new StartupError(err.message) : err;
  });
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
  const loaded = await drivers(loadNetworkNodeDrivers(driverOptions(conf, deps.statePath, log)));
  cleanups.push(() => loaded.metadataProxy.stop());
  const plugin = pluginRpcClient(bus.rpc);
  const loopDeps = { host: conf.DEFAULT.host, transport: bus.transport, plugin, reportInterval: conf.agent.report_interval, logger: log };
  const l3 = new L3Agent(plugin, loaded.router);
  const dhcp = dhcpAgentEnabled(conf) ? new DhcpAgent(conf.DEFAULT.host, plugin, loaded.dhcp) : undefined;
  const loops = [new AgentLoop(l3, loopDeps), ...(dhcp ? [new AgentLoop(dhcp, loopDeps)] : [])];
  // The metadata agent (Neutron's neutron-metadata-agent, answering the proxies the DHCP driver starts) joins these
  // loops when src/network/agents/metadata/ provides it: an AgentKind whose sync has nothing to do, started here.
  for (const loop of loops) {
    await loop.start();
    cleanups.push(() => loop.stop());
  }
  return { l3, dhcp, loops };
}

/** A compute host's L2 agent, with the data path [network] driver names; started by startL2Agent once the host serves. */
export async function createL2Agent(conf: Config, host: string, bus: Bus, statePath: string, logger: Logger): Promise<L2Agent> {
  const dataPath = await drivers(loadPortDataPath(driverOptions(conf, statePath, logger.child({ service: 'l2-agent', host }))));
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
