/**
 * `kilonova api|conductor|scheduler`: the roles on the database, each in a
 * process of its own; each imports only its own role's modules.
 */
import type { Logger } from 'pino';
import type { Config } from '../../conf/options.js';
import type { ComputeDb } from '../../compute/db/tables.js';
import type { PlacementClient } from '../../compute/clients.js';
import { CONDUCTOR_TOPIC } from '../../conductor/rpcapi.js';
import { SCHEDULER_TOPIC } from '../../scheduler/rpcapi.js';
import { openBus, type Cleanups } from './common.js';
import { openSyncedDatabase } from './database.js';

/** Placement over HTTP when [placement] names an auth_url (as Nova's scheduler reaches it), else over the database. */
async function placementFor(conf: Config, db: ComputeDb, logger: Logger): Promise<PlacementClient> {
  if (conf.placement.auth_url) {
    const { HttpPlacementClient } = await import('../../compute/clients/http-placement-client.js');
    const { KeystoneSession, keystoneAuthOptions } = await import('../../compute/clients/keystone-session.js');
    return new HttpPlacementClient(new KeystoneSession(keystoneAuthOptions(conf.placement)));
  }
  const { PlacementService } = await import('../../placement/service.js');
  return new PlacementService({ db, logger: logger.child({ service: 'placement' }) });
}

/** Starts the role; answers the ready line's summary. */
export async function startControllerProcess(role: 'api' | 'conductor' | 'scheduler', conf: Config, statePath: string, logger: Logger, cleanups: Cleanups): Promise<string> {
  const host = conf.DEFAULT.host;
  const database = await openSyncedDatabase(conf, cleanups);
  const db = database.db as ComputeDb;
  const bus = await openBus(conf, logger, cleanups);
  if (role === 'api') {
    const { openApiServices, serveApis } = await import('./api.js');
    const svc = await openApiServices(conf, database.db, statePath, logger);
    const served = await serveApis(conf, db, svc, bus, statePath, logger, cleanups);
    return `at ${served.url}`;
  }
  const { registerDatabaseService } = await import('./conductor.js');
  if (role === 'conductor') {
    const { startConductor } = await import('./conductor.js');
    const { PlacementService } = await import('../../placement/service.js');
    const { NetworkService } = await import('../../network/service.js');
    await startConductor({
      conf, db, bus, placement: new PlacementService({ db, logger: logger.child({ service: 'placement' }) }),
      network: new NetworkService({ db, logger: logger.child({ service: 'network' }) }), notifier: bus.notifierFor(`nova-conductor:${host}`), logger,
    }, cleanups, { soleConductor: false });
    await registerDatabaseService(conf, db, [{ binary: 'nova-conductor', topic: CONDUCTOR_TOPIC }], logger, cleanups);
  } else {
    const { startScheduler } = await import('./scheduler.js');
    await startScheduler({ conf, db, bus, placement: await placementFor(conf, db, logger), logger }, cleanups);
    await registerDatabaseService(conf, db, [{ binary: 'nova-scheduler', topic: SCHEDULER_TOPIC }], logger, cleanups);
  }
  return `(host ${host})`;
}
