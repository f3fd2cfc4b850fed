/**
 * The compute role: one host's ComputeManager with its virt driver, serving
 * compute.<host>, registered and kept up through its ComputeHostStore, its
 * resource tracker reporting to placement.
 */
import type { Logger } from 'pino';
import { RpcServer } from '../../bus/rpc.js';
import type { Notifier } from '../../bus/notifier.js';
import { ComputeManager } from '../../compute/manager.js';
import { computeRpcClient, computeTopic } from '../../compute/rpcapi.js';
import { startHeartbeat } from '../../compute/servicegroup.js';
import type { ComputeHostStore } from '../../compute/host-objects/port.js';
import type { ComputeHostClients } from '../../compute/clients/for-host.js';
import { conductorRpcClient } from '../../conductor/rpcapi.js';
import { FakeDriver } from '../../virt/fake/driver.js';
import { loadComputeDriver, type LoadedDriver } from '../../virt/load-driver.js';
import type { Config } from '../../conf/options.js';
import type { L2Agent } from '../../network/agents/l2-agent.js';
import { StartupError, type Bus, type Cleanups } from './common.js';
import { createL2Agent, startL2Agent } from './network-agents.js';
import { childLogger } from '../../logger.js';

/** One compute host: its manager and virt driver. */
export interface ComputeHost {
  host: string;
  computeManager: ComputeManager;
  driver: LoadedDriver;
  fakeDriver?: FakeDriver;
  /** The host's L2 agent (its data path is the [network] driver's). */
  l2Agent: L2Agent;
  /** The driver's and the manager's start (init_host); one clear line when the hypervisor is not there. */
  init(): Promise<void>;
}

export interface ComputeHostDeps {
  conf: Config;
  host: string;
  statePath: string;
  bus: Bus;
  store: ComputeHostStore;
  clients: ComputeHostClients;
  notifier: Notifier;
  logger: Logger;
}

export async function createComputeHost(deps: ComputeHostDeps, cleanups: Cleanups): Promise<ComputeHost> {
  const { conf, host, bus, clients, logger } = deps;
  const loaded = await loadComputeDriver(conf, { statePath: deps.statePath, images: clients.images, logger, host });
  const l2Agent = await createL2Agent(conf, host, bus, deps.statePath, logger);
  const manager = new ComputeManager({
    host, store: deps.store, driver: loaded.driver, network: clients.network, placement: clients.placement, conductor: conductorRpcClient(bus.rpc), images: clients.images,
    compute: computeRpcClient(bus.rpc), notifier: deps.notifier, conf, logger: childLogger(logger, { service: 'compute', host }), portWiring: l2Agent,
  });
  cleanups.push(() => manager.stop());
  const init = () => manager.initHost().catch((err: Error) => {
    // The operator's most likely mistake (libvirtd not running): one line that says what to do.
    throw new StartupError(`the compute driver ${loaded.name} could not start: ${err.message}` +
      (loaded.name === 'libvirt.LibvirtDriver' ? ' (run scripts/setup-libvirt-host.sh as root, or start with --driver fake)' : ''));
  });
  return { host, computeManager: manager, driver: loaded, fakeDriver: loaded.driver instanceof FakeDriver ? loaded.driver : undefined, l2Agent, init };
}

/** Serves the host's topic, then registers it (services row, through its store) and starts its heartbeat, periodic tasks and L2 agent. */
export async function serveComputeHost(h: ComputeHost, conf: Config, bus: Bus, logger: Logger, cleanups: Cleanups): Promise<void> {
  const server = new RpcServer(bus.transport, computeTopic(h.host), h.computeManager.endpoint(), childLogger(logger, { service: 'compute', host: h.host }));
  await server.start();
  cleanups.push(() => server.stop());
  await h.computeManager.registerService();
  cleanups.push(startHeartbeat(() => h.computeManager.reportServiceUp(), conf.DEFAULT.report_interval, logger));
  h.computeManager.startPeriodicTasks(Math.max(conf.DEFAULT.report_interval, 10));
  await startL2Agent(h.l2Agent, conf, h.host, bus, logger, cleanups);
}
