/**
 * The scheduler role: picks hosts for the conductor over the scheduler
 * topic, with placement as given (in-process, or over HTTP in a process of
 * its own).
 */
import type { Logger } from 'pino';
import { RpcServer } from '../../bus/rpc.js';
import type { ComputeDb } from '../../compute/db/tables.js';
import type { PlacementClient } from '../../compute/clients.js';
import { SchedulerManager } from '../../scheduler/manager.js';
import { SCHEDULER_TOPIC } from '../../scheduler/rpcapi.js';
import type { Config } from '../../conf/options.js';
import type { Bus, Cleanups } from './common.js';

export async function startScheduler(deps: { conf: Config; db: ComputeDb; bus: Bus; placement: PlacementClient; logger: Logger }, cleanups: Cleanups): Promise<void> {
  const logger = deps.logger.child({ service: 'scheduler' });
  const scheduler = new SchedulerManager({ db: deps.db, placement: deps.placement, conf: deps.conf, logger });
  const server = new RpcServer(deps.bus.transport, SCHEDULER_TOPIC, scheduler.endpoint(), logger);
  await server.start();
  cleanups.push(() => server.stop());
}
