/**
 * The conductor role: the compute task API (build, migrate, ...) and the
 * object API the compute hosts reach their records through, both on the
 * conductor topic, over the database.
 */
import type { Logger } from 'pino';
import { RpcServer } from '../../bus/rpc.js';
import type { Notifier } from '../../bus/notifier.js';
import type { ComputeDb } from '../../compute/db/tables.js';
import type { NetworkClient, PlacementClient } from '../../compute/clients.js';
import { computeRpcClient } from '../../compute/rpcapi.js';
import { registerService, reportServiceUp, startHeartbeat } from '../../compute/servicegroup.js';
import { DatabaseComputeHostStore } from '../../compute/host-objects/database.js';
import { CONDUCTOR_TOPIC } from '../../conductor/rpcapi.js';
import { ComputeTaskManager, ConductorManager, conductorEndpoint } from '../../conductor/manager.js';
import { schedulerRpcClient } from '../../scheduler/rpcapi.js';
import type { Config } from '../../conf/options.js';
import type { Bus, Cleanups } from './common.js';

export interface ConductorRoleDeps {
  conf: Config;
  db: ComputeDb;
  bus: Bus;
  placement: PlacementClient;
  network: NetworkClient;
  notifier: Notifier;
  logger: Logger;
}

/**
 * Serves the conductor topic, after settling the builds a restart left without
 * a host when it is the sole conductor on an in-process bus (compute hosts'
 * init may read their records through it). With [DEFAULT] instance_build_timeout
 * set, builds that outlive it without a host go to ERROR periodically.
 */
export async function startConductor(deps: ConductorRoleDeps, cleanups: Cleanups, opts: { soleConductor: boolean }): Promise<void> {
  const { conf, db, bus } = deps;
  const host = conf.DEFAULT.host;
  const logger = deps.logger.child({ service: 'conductor' });
  const conductor = new ComputeTaskManager({
    db, scheduler: schedulerRpcClient(bus.rpc), compute: computeRpcClient(bus.rpc), placement: deps.placement, network: deps.network,
    notifier: deps.notifier, logger, host,
  });
  if (opts.soleConductor) await conductor.initHost();
  const timeoutS = conf.DEFAULT.instance_build_timeout;
  if (timeoutS > 0) {
    const timer = setInterval(() => {
      conductor.checkUnscheduledBuildTime(timeoutS).catch((err) => logger.warn({ err, task: 'check_unscheduled_build_time' }, 'periodic task failed'));
    }, Math.min(timeoutS, Math.max(conf.DEFAULT.report_interval, 10)) * 1000);
    timer.unref();
    cleanups.push(() => clearInterval(timer));
  }
  const server = new RpcServer(bus.transport, CONDUCTOR_TOPIC, conductorEndpoint(conductor, new ConductorManager(new DatabaseComputeHostStore(db))), logger);
  await server.start();
  cleanups.push(() => server.stop());
}

/** The services row of a database-backed service (conductor, scheduler), kept up by heartbeats. */
export async function registerDatabaseService(conf: Config, db: ComputeDb, services: ReadonlyArray<{ binary: string; topic: string }>, logger: Logger, cleanups: Cleanups): Promise<void> {
  const host = conf.DEFAULT.host;
  for (const s of services) await registerService(db, host, s.binary, s.topic);
  cleanups.push(startHeartbeat(() => reportServiceUp(db, host, services.map((s) => s.binary)), conf.DEFAULT.report_interval, logger));
}
