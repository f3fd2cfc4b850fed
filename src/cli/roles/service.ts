/**
 * One role per process (`kilonova api|conductor|scheduler|compute`), as Nova
 * runs in production: the processes meet only through the bus, the database
 * (api, conductor, scheduler) and the HTTP APIs. A compute process opens no
 * database: its records go through the conductor, image/network/placement
 * over HTTP as a service user.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../conf/options.js';
import type { ComputeDb } from '../../compute/db/tables.js';
import type { PlacementClient } from '../../compute/clients.js';
import { computeHostClients, type ComputeHostClients } from '../../compute/clients/for-host.js';
import { HttpPlacementClient } from '../../compute/clients/http-placement-client.js';
import { KeystoneSession, keystoneAuthOptions } from '../../compute/clients/keystone-session.js';
import { ConductorComputeHostStore, conductorObjectRpcClient } from '../../compute/host-objects/conductor.js';
import { NetworkService } from '../../network/service.js';
import { PlacementService } from '../../placement/service.js';
import { CONDUCTOR_TOPIC } from '../../conductor/rpcapi.js';
import { SCHEDULER_TOPIC } from '../../scheduler/rpcapi.js';
import { Cleanups, openBus, openSyncedDatabase, StartupError } from './common.js';
import { openApiServices, serveApis } from './api.js';
import { registerDatabaseService, startConductor } from './conductor.js';
import { startScheduler } from './scheduler.js';
import { createComputeHost, serveComputeHost } from './compute.js';

export const SERVICE_ROLES = ['api', 'conductor', 'scheduler', 'compute'] as const;
export type ServiceRole = typeof SERVICE_ROLES[number];

export interface RunningService {
  /** What the ready line says after "Kilonova <role> ready". */
  summary: string;
  stop(): Promise<void>;
}

/** Separate processes share nothing in memory: memory:// would leave each alone on a bus of its own. */
function requireSharedBus(conf: Config, role: ServiceRole): void {
  if (conf.DEFAULT.transport_url.startsWith('memory:')) {
    throw new StartupError(`kilonova ${role} runs as a separate process and needs a shared bus: set [DEFAULT] transport_url to rabbit://... (memory:// is only for all-in-one)`);
  }
}

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

/** Placement over HTTP when [placement] names an auth_url (as Nova's scheduler reaches it), else over the database. */
function placementFor(conf: Config, db: ComputeDb, logger: Logger): PlacementClient {
  return conf.placement.auth_url
    ? new HttpPlacementClient(new KeystoneSession(keystoneAuthOptions(conf.placement)))
    : new PlacementService({ db, logger: logger.child({ service: 'placement' }) });
}

export async function startService(role: ServiceRole, conf: Config, logger: Logger): Promise<RunningService> {
  requireSharedBus(conf, role);
  const statePath = path.resolve(conf.DEFAULT.state_path);
  fs.mkdirSync(statePath, { recursive: true });
  const cleanups = new Cleanups(logger);
  const host = conf.DEFAULT.host;
  try {
    let summary: string;
    if (role === 'compute') {
      const clients = httpClientsOnly(conf);
      const bus = await openBus(conf, logger, cleanups);
      const h = await createComputeHost({
        conf, host, statePath, bus, store: new ConductorComputeHostStore(conductorObjectRpcClient(bus.rpc)), clients,
        notifier: bus.notifierFor(`nova-compute:${host}`), logger,
      }, cleanups);
      await h.init();
      await serveComputeHost(h, conf, bus, logger, cleanups);
      summary = `(host ${host}, driver ${h.driver.name})`;
    } else {
      const database = await openSyncedDatabase(conf, cleanups);
      const db = database.db as ComputeDb;
      const bus = await openBus(conf, logger, cleanups);
      if (role === 'api') {
        const svc = await openApiServices(conf, database.db, statePath, logger);
        const served = await serveApis(conf, db, svc, bus, statePath, logger, cleanups);
        summary = `at ${served.url}`;
      } else if (role === 'conductor') {
        await startConductor({
          conf, db, bus, placement: new PlacementService({ db, logger: logger.child({ service: 'placement' }) }),
          network: new NetworkService({ db, logger: logger.child({ service: 'network' }) }), notifier: bus.notifierFor(`nova-conductor:${host}`), logger,
        }, cleanups, { soleConductor: false });
        await registerDatabaseService(conf, db, [{ binary: 'nova-conductor', topic: CONDUCTOR_TOPIC }], logger, cleanups);
        summary = `(host ${host})`;
      } else {
        await startScheduler({ conf, db, bus, placement: placementFor(conf, db, logger), logger }, cleanups);
        await registerDatabaseService(conf, db, [{ binary: 'nova-scheduler', topic: SCHEDULER_TOPIC }], logger, cleanups);
        summary = `(host ${host})`;
      }
    }
    return { summary, stop: cleanups.closeAll };
  } catch (err) {
    await cleanups.closeAll();
    throw err;
  }
}
