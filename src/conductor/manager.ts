/**
 * ComputeTaskManager: the conductor's RPC endpoint (topic `conductor`). Each
 * long action is a task of its own under tasks/.
 */
import { injectedFilesFrom } from '../virt/injected-files.js';
import type { RequestContext } from '../bus/context.js';
import type { RpcEndpoint } from '../bus/rpc.js';
import { fromPrimitive, FlavorObject, InstanceObject, RequestSpecObject, NetworkRequestListObject, BlockDeviceMappingObject, SelectionObject } from '../objects/index.js';
import { BuildInstancesTask } from './tasks/build-instances.js';
import type { ConductorTaskDeps } from './tasks/base.js';
import { RescheduleInstanceTask } from './tasks/reschedule-instance.js';
import { MigrateServerTask } from './tasks/migrate-server.js';
import { UnshelveInstanceTask } from './tasks/unshelve-instance.js';
import { recoverUnscheduledInstances } from './tasks/recover-unscheduled.js';
import { LiveMigrateTask } from './tasks/live-migrate.js';
import { EvacuateTask } from './tasks/evacuate.js';

export type ConductorDeps = ConductorTaskDeps;

export class ComputeTaskManager {
  constructor(private readonly deps: ConductorDeps) {}

  /** At start, before the endpoint serves: builds a restart left without a host. */
  async initHost(): Promise<void> {
    const n = await recoverUnscheduledInstances(this.deps);
    if (n > 0) this.deps.logger.info({ count: n }, 'set to ERROR the builds a restart interrupted before scheduling');
  }

  endpoint(): RpcEndpoint {
    return {
      build_instances: async (ctx: RequestContext, args: Record<string, unknown>) => {
        await this.buildInstances(ctx, {
          instances: (args.instances as unknown[]).map((p) => fromPrimitive(InstanceObject, p)),
          requestSpec: fromPrimitive(RequestSpecObject, args.request_spec),
          requestedNetworks: fromPrimitive(NetworkRequestListObject, args.requested_networks),
          blockDeviceMappings: (args.block_device_mappings as unknown[][]).map((l) => l.map((p) => fromPrimitive(BlockDeviceMappingObject, p))),
          injectedFiles: injectedFilesFrom(args.injected_files),
        });
      },
      migrate_server: async (ctx: RequestContext, args: Record<string, unknown>) => {
        await new MigrateServerTask(this.deps, ctx, {
          instance: fromPrimitive(InstanceObject, args.instance), flavor: fromPrimitive(FlavorObject, args.flavor),
          migrationUuid: String(args.migration_uuid), allowSameHost: args.allow_same_host === true,
          host: typeof args.host === 'string' ? args.host : null,
        }).run();
      },
      unshelve_instance: async (ctx: RequestContext, args: Record<string, unknown>) => {
        await new UnshelveInstanceTask(this.deps, ctx, {
          instance: fromPrimitive(InstanceObject, args.instance),
          availabilityZone: typeof args.availability_zone === 'string' ? args.availability_zone : null,
          host: typeof args.host === 'string' ? args.host : null,
        }).run().catch(() => undefined); // a cast: the rollback has put the task state back
      },
      live_migrate_instance: async (ctx: RequestContext, args: Record<string, unknown>) => {
        await new LiveMigrateTask(this.deps, ctx, {
          instance: fromPrimitive(InstanceObject, args.instance), migrationUuid: String(args.migration_uuid),
          host: typeof args.host === 'string' ? args.host : null, force: args.force === true,
          blockMigration: typeof args.block_migration === 'boolean' ? args.block_migration : null,
        }).run();
      },
      evacuate_instance: async (ctx: RequestContext, args: Record<string, unknown>) => {
        await new EvacuateTask(this.deps, ctx, {
          instance: fromPrimitive(InstanceObject, args.instance), migrationUuid: String(args.migration_uuid),
          host: typeof args.host === 'string' ? args.host : null, force: args.force === true,
          origVmState: String(args.orig_vm_state), adminPass: typeof args.admin_password === 'string' ? args.admin_password : null,
        }).run().catch(() => {
          // The rollback left a fault on the server and the migration in error; a cast has no one to answer.
        });
      },
      reschedule_instance: async (ctx: RequestContext, args: Record<string, unknown>) => {
        await new RescheduleInstanceTask(this.deps, ctx, {
          instance: fromPrimitive(InstanceObject, args.instance),
          requestSpec: fromPrimitive(RequestSpecObject, args.request_spec),
          requestedNetworks: fromPrimitive(NetworkRequestListObject, args.requested_networks),
          blockDeviceMappings: (args.block_device_mappings as unknown[]).map((p) => fromPrimitive(BlockDeviceMappingObject, p)),
          alternates: (args.alternates as unknown[]).map((p) => fromPrimitive(SelectionObject, p)),
          reason: String(args.reason ?? ''),
          injectedFiles: injectedFilesFrom(args.injected_files),
        }).run();
      },
    };
  }

  async buildInstances(ctx: RequestContext, args: ConstructorParameters<typeof BuildInstancesTask>[2]): Promise<void> {
    try {
      await new BuildInstancesTask(this.deps, ctx, args).run();
    } catch {
      // The task's rollback has put the servers in ERROR with a fault; nothing more to report to a cast.
    }
  }
}
