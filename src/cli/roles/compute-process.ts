/**
 * `kilonova compute`: one compute host in a process of its own. No database:
 * its records go through the conductor, image/network/placement over HTTP.
 */
import type { Logger } from 'pino';
import type { Config } from '../../conf/options.js';
import { computeHostClients, type ComputeHostClients } from '../../compute/clients/for-host.js';
import { ConductorComputeHostStore, conductorObjectRpcClient } from '../../compute/host-objects/conductor.js';
import { StartupError } from '../startup-error.js';
import { openBus, type Cleanups } from './common.js';
import { createComputeHost, serveComputeHost } from './compute.js';

/** The HTTP clients a compute process has, one per [glance]/[neutron]/[placement] section; each must name an auth_url. */
function httpClientsOnly(conf: Config): ComputeHostClients {
  const missing = (['glance', 'neutron', 'placement'] as const).filter((s) => !conf[s].auth_url);
  if (missing.length > 0) {
    throw new StartupError(`kilonova compute reaches image, network and placement over HTTP: set auth_url (and the service user) in ${missing.map((s) => `[${s}]`).join(', ')}`);
  }
  // Every section names an auth_url, so no in-process service is ever taken from here.
  const none = undefined as unknown as ComputeHostClients;
  return computeHostClients(conf, none);
}

/** Starts the host; answers the ready line's summary. */
export async function startComputeProcess(conf: Config, statePath: string, logger: Logger, cleanups: Cleanups): Promise<string> {
  const host = conf.DEFAULT.host;
  const clients = httpClientsOnly(conf);
  const bus = await openBus(conf, logger, cleanups);
  const h = await createComputeHost({
    conf, host, statePath, bus, store: new ConductorComputeHostStore(conductorObjectRpcClient(bus.rpc)), clients,
    notifier: bus.notifierFor(`nova-compute:${host}`), logger,
  }, cleanups);
  await h.init();
  await serveComputeHost(h, conf, bus, logger, cleanups);
  return `(host ${host}, driver ${h.driver.name})`;
}
