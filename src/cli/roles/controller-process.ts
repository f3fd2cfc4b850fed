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

/**
 * Placement on the database this process already opened: `kilonova api`
 * serves placement from that same database, so going through its HTTP API (as
 * Nova's scheduler must, placement being a service of its own there) would
 * only add a request, a token and the API process's time to every decision.
 */
async function placementOnDatabase(db: ComputeDb, logger: Logger): Promise<PlacementClient> {
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
    const { serveNetworkNode, startNetworkMetadataAgent } = await import('./network-agents.js');
    await serveNetworkNode({ conf, network: svc.network, bus, statePath, logger }, cleanups);
    const served = await serveApis(conf, db, svc, bus, statePath, logger, cleanups);
    await startNetworkMetadataAgent({ conf, network: svc.network, bus, metadataApiPort: served.metadataApi.port, logger }, cleanups);
    return `at ${served.url}`;
  }
  const { registerDatabaseService } = await import('./conductor.js');
  if (role === 'conductor') {
    const { startConductor } = await import('./conductor.js');
    const { NetworkService } = await import('../../network/service.js');
    const { busChangeSink } = await import('../../network/agents/notifications.js');
    await startConductor({
      conf, db, bus, placement: await placementOnDatabase(db, logger),
      network: new NetworkService({ db, logger: logger.child({ service: 'network' }), changes: busChangeSink(bus.rpc, logger.child({ service: 'agent-notifier' })) }), notifier: bus.notifierFor(`nova-conductor:${host}`), logger,
    }, cleanups, { soleConductor: false });
    await registerDatabaseService(conf, db, [{ binary: 'nova-conductor', topic: CONDUCTOR_TOPIC }], logger, cleanups);
  } else {
    const { startScheduler } = await import('./scheduler.js');
    await startScheduler({ conf, db, bus, placement: await placementOnDatabase(db, logger), logger }, cleanups);
    await registerDatabaseService(conf, db, [{ binary: 'nova-scheduler', topic: SCHEDULER_TOPIC }], logger, cleanups);
  }
  return `(host ${host})`;
}
