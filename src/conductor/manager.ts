/**
 * The conductor's two managers on topic `conductor`, as in Nova's
 * conductor/manager.py: ComputeTaskManager, the handlers of the API declared
 * in rpc-methods.ts (each long action a task of its own under tasks/), and
 * ConductorManager, which serves compute hosts their records (the object API
 * of object-rpc-methods.ts).
 */
import type { RequestContext } from '../bus/context.js';
import type { RpcEndpoint } from '../bus/rpc.js';
import { rpcEndpoint, type RpcArgs, type RpcHandlers } from '../rpc/rpc-api.js';
import type { ComputeHostStore } from '../compute/host-objects/port.js';
import { CONDUCTOR_RPC_API } from './rpc-methods.js';
import { CONDUCTOR_OBJECT_RPC_API } from './object-rpc-methods.js';
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

  /** Periodic: servers still without a host instance_build_timeout seconds after their create go to ERROR. */
  async checkUnscheduledBuildTime(timeoutS: number, now = Date.now()): Promise<number> {
    return recoverUnscheduledInstances(this.deps, { createdBefore: new Date(now - timeoutS * 1000).toISOString() });
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

type ObjectArgs<N extends keyof typeof CONDUCTOR_OBJECT_RPC_API.methods> = RpcArgs<typeof CONDUCTOR_OBJECT_RPC_API, N>;

/**
 * ConductorManager: each call of the object API is the same operation on the
 * conductor's own store (over its database), so a compute host that asks
 * through RPC gets what a local store would have answered; an error the
 * store raises travels back under its name.
 */
export class ConductorManager implements RpcHandlers<typeof CONDUCTOR_OBJECT_RPC_API> {
  constructor(private readonly store: ComputeHostStore) {}

  endpoint(): RpcEndpoint {
    return rpcEndpoint(CONDUCTOR_OBJECT_RPC_API, this);
  }

  getInstance(_ctx: RequestContext, { uuid, readDeleted }: ObjectArgs<'get_instance'>) {
    return this.store.getInstance(uuid, { readDeleted });
  }

  listInstancesOnHost(_ctx: RequestContext, { host, filter }: ObjectArgs<'list_instances_on_host'>) {
    return this.store.listInstancesOnHost(host, filter);
  }

  saveInstance(_ctx: RequestContext, { uuid, values, expectedTaskState }: ObjectArgs<'save_instance'>) {
    return this.store.saveInstance(uuid, values, expectedTaskState);
  }

  saveInstanceWithEvent(ctx: RequestContext, { uuid, values, expectedTaskState, event, guard }: ObjectArgs<'save_instance_with_event'>) {
    return this.store.saveInstanceWithEvent(ctx, uuid, values, expectedTaskState, event, guard);
  }

  destroyInstance(_ctx: RequestContext, { uuid }: ObjectArgs<'destroy_instance'>) {
    return this.store.destroyInstance(uuid);
  }

  addInstanceFault(_ctx: RequestContext, { uuid, fault }: ObjectArgs<'add_instance_fault'>) {
    return this.store.addInstanceFault(uuid, fault);
  }

  setSystemMetadata(_ctx: RequestContext, { uuid, values }: ObjectArgs<'set_system_metadata'>) {
    return this.store.setSystemMetadata(uuid, values);
  }

  removeSystemMetadata(_ctx: RequestContext, { uuid, keys }: ObjectArgs<'remove_system_metadata'>) {
    return this.store.removeSystemMetadata(uuid, keys);
  }

  startAction(ctx: RequestContext, { instanceUuid, action }: ObjectArgs<'start_action'>) {
    return this.store.startAction(ctx, instanceUuid, action);
  }

  finishAction(ctx: RequestContext, { instanceUuid }: ObjectArgs<'finish_action'>) {
    return this.store.finishAction(ctx, instanceUuid);
  }

  startActionEvent(ctx: RequestContext, { instanceUuid, event, host }: ObjectArgs<'start_action_event'>) {
    return this.store.startActionEvent(ctx, instanceUuid, event, host);
  }

  finishActionEvent(_ctx: RequestContext, { ref, result, details, finishAction }: ObjectArgs<'finish_action_event'>) {
    return this.store.finishActionEvent(ref, result, details, finishAction);
  }

  findInterruptedAction(_ctx: RequestContext, { instanceUuid }: ObjectArgs<'find_interrupted_action'>) {
    return this.store.findInterruptedAction(instanceUuid);
  }

  failInterruptedEvents(ctx: RequestContext, { instanceUuid, fallback }: ObjectArgs<'fail_interrupted_events'>) {
    return this.store.failInterruptedEvents(ctx, instanceUuid, fallback);
  }

  getMigration(_ctx: RequestContext, { uuid }: ObjectArgs<'get_migration'>) {
    return this.store.getMigration(uuid);
  }

  saveMigration(_ctx: RequestContext, { uuid, values, fromStatuses }: ObjectArgs<'save_migration'>) {
    return this.store.saveMigration(uuid, values, fromStatuses);
  }

  listUnconfirmedMigrations(_ctx: RequestContext, { destHost, windowS }: ObjectArgs<'list_unconfirmed_migrations'>) {
    return this.store.listUnconfirmedMigrations(destHost, windowS);
  }

  listInProgressLiveMigrations(_ctx: RequestContext, { instanceUuid }: ObjectArgs<'list_in_progress_live_migrations'>) {
    return this.store.listInProgressLiveMigrations(instanceUuid);
  }

  listEvacuationsFrom(_ctx: RequestContext, { sourceHost }: ObjectArgs<'list_evacuations_from'>) {
    return this.store.listEvacuationsFrom(sourceHost);
  }

  getGroupPlacement(_ctx: RequestContext, { groupUuid, excludingInstanceUuid }: ObjectArgs<'get_group_placement'>) {
    return this.store.getGroupPlacement(groupUuid, excludingInstanceUuid);
  }

  getNodeUsage(_ctx: RequestContext, { host, nodename }: ObjectArgs<'get_node_usage'>) {
    return this.store.getNodeUsage(host, nodename);
  }

  getComputeNode(_ctx: RequestContext, { host, nodename }: ObjectArgs<'get_compute_node'>) {
    return this.store.getComputeNode(host, nodename);
  }

  listComputeNodes(_ctx: RequestContext, { host }: ObjectArgs<'list_compute_nodes'>) {
    return this.store.listComputeNodes(host);
  }

  createComputeNode(_ctx: RequestContext, { host, nodename, values }: ObjectArgs<'create_compute_node'>) {
    return this.store.createComputeNode(host, nodename, values);
  }

  saveComputeNode(_ctx: RequestContext, { uuid, values }: ObjectArgs<'save_compute_node'>) {
    return this.store.saveComputeNode(uuid, values);
  }

  deleteConsoleTokens(_ctx: RequestContext, { instanceUuid }: ObjectArgs<'delete_console_tokens'>) {
    return this.store.deleteConsoleTokens(instanceUuid);
  }

  registerService(_ctx: RequestContext, { host, binary, topic }: ObjectArgs<'register_service'>) {
    return this.store.registerService(host, binary, topic);
  }

  reportServiceUp(_ctx: RequestContext, { host, binaries }: ObjectArgs<'report_service_up'>) {
    return this.store.reportServiceUp(host, binaries);
  }
}

/** What topic `conductor` serves: both managers' methods (their names never overlap, as Nova's namespaces keep them apart). */
export function conductorEndpoint(tasks: ComputeTaskManager, objects: ConductorManager): RpcEndpoint {
  const a = tasks.endpoint();
  const b = objects.endpoint();
  const shared = Object.keys(a).filter((name) => Object.hasOwn(b, name));
  if (shared.length > 0) throw new Error(`the conductor's task and object APIs both declare ${shared.join(', ')}`);
  return { ...a, ...b };
}
