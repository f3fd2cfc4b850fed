/**
 * A conductor task (Nova's conductor/tasks/base.py): `execute` does the work;
 * if it throws, `rollback` undoes what was done, then the error goes on.
 */
import type { Logger } from 'pino';
import type { RequestContext } from '../../bus/context.js';
import type { Notifier } from '../../bus/notifier.js';
import type { ComputeDb } from '../../compute/db/tables.js';
import type { NetworkClient, PlacementClient } from '../../compute/clients.js';
import type { ComputeRpcClient } from '../../compute/rpcapi.js';
import type { SchedulerRpcClient } from '../../scheduler/rpcapi.js';

/** Everything a conductor task works with. */
export interface ConductorTaskDeps {
  db: ComputeDb;
  scheduler: SchedulerRpcClient;
  compute: ComputeRpcClient;
  placement: PlacementClient;
  /** Only to release ports a build left when it cannot go on. */
  network: Pick<NetworkClient, 'deallocateForInstance'>;
  notifier: Notifier;
  logger: Logger;
  host: string;
}

export abstract class ConductorTask<A, T = void> {
  /** Logs under the request id of the work, like every step of it. */
  protected readonly log: Logger;

  constructor(protected readonly deps: ConductorTaskDeps, protected readonly ctx: RequestContext, protected readonly args: A) {
    this.log = deps.logger.child({ request_id: ctx.requestId });
  }

  protected abstract execute(): Promise<T>;
  protected abstract rollback(err: unknown): Promise<void>;

  async run(): Promise<T> {
    try {
      return await this.execute();
    } catch (err) {
      await this.rollback(err);
      throw err;
    }
  }
}
