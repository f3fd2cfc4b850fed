/**
 * ComputeTaskManager: the conductor's RPC endpoint (topic `conductor`), the
 * handlers of the API declared in rpc-methods.ts. Each long action is a task
 * of its own under tasks/.
 */
import type { RequestContext } from '../bus/context.js';
import type { RpcEndpoint } from '../bus/rpc.js';
import { rpcEndpoint, type RpcArgs, type RpcHandlers } from '../rpc/rpc-api.js';
import { CONDUCTOR_RPC_API } from './rpc-methods.js';
import { BuildInstancesTask } from './tasks/build-instances.js';
import type { ConductorTaskDeps } from './tasks/base.js';
import { RescheduleInstanceTask } from './tasks/reschedule-instance.js';
import { MigrateServerTask } from './tasks/migrate-server.js';
import { UnshelveInstanceTask } from './tasks/unshelve-instance.js';
import { recoverUnscheduledInstances } from './tasks/recover-unscheduled.js';
import { LiveMigrateTask } from './tasks/live-migrate.js';
import { EvacuateTask } from './tasks/evacuate.js';

export type ConductorDeps = ConductorTaskDeps;

type ConductorArgs<N extends keyof typeof CONDUCTOR_RPC_API.methods> = RpcArgs<typeof CONDUCTOR_RPC_API, N>;

export class ComputeTaskManager implements RpcHandlers<typeof CONDUCTOR_RPC_API> {
  constructor(private readonly deps: ConductorDeps) {}

  /** At start, before the endpoint serves: builds a restart left without a host. */
  async initHost(): Promise<void> {
    const n = await recoverUnscheduledInstances(this.deps);
    if (n > 0) this.deps.logger.info({ count: n }, 'set to ERROR the builds a restart interrupted before scheduling');
  }

  /** The dispatch table for topic `conductor`: the declared methods, decoded, to the handlers below. */
  endpoint(): RpcEndpoint {
    return rpcEndpoint(CONDUCTOR_RPC_API, this);
  }

  // ---- RPC handlers (declared in rpc-methods.ts; arguments arrive decoded) ----

  async buildInstances(ctx: RequestContext, args: ConductorArgs<'build_instances'>): Promise<void> {
    try {
      await new BuildInstancesTask(this.deps, ctx, args).run();
    } catch {
      // The task's rollback has put the servers in ERROR with a fault; nothing more to report to a cast.
    }
  }

  async rescheduleInstance(ctx: RequestContext, args: ConductorArgs<'reschedule_instance'>): Promise<void> {
    await new RescheduleInstanceTask(this.deps, ctx, args).run();
  }

  async migrateServer(ctx: RequestContext, args: ConductorArgs<'migrate_server'>): Promise<void> {
    await new MigrateServerTask(this.deps, ctx, args).run();
  }

  async unshelveInstance(ctx: RequestContext, args: ConductorArgs<'unshelve_instance'>): Promise<void> {
    await new UnshelveInstanceTask(this.deps, ctx, args).run().catch(() => undefined); // a cast: the rollback has put the task state back
  }

  async liveMigrateInstance(ctx: RequestContext, args: ConductorArgs<'live_migrate_instance'>): Promise<void> {
    await new LiveMigrateTask(this.deps, ctx, args).run();
  }

  async evacuateInstance(ctx: RequestContext, { adminPassword, ...args }: ConductorArgs<'evacuate_instance'>): Promise<void> {
    await new EvacuateTask(this.deps, ctx, { ...args, adminPass: adminPassword }).run().catch(() => {
      // The rollback left a fault on the server and the migration in error; a cast has no one to answer.
    });
  }
}
