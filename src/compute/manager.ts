/**
 * ComputeManager: a compute host's RPC endpoint (topic compute.<host>). It
 * dispatches; the work of each action lives in tasks/. Operations on one
 * server run one at a time, each as its own task so the endpoint stays free.
 */
import { injectedFilesFrom } from '../virt/injected-files.js';
import type { RequestContext } from '../bus/context.js';
import { internalContext } from '../bus/context.js';
import type { RpcEndpoint } from '../bus/rpc.js';
import { fromPrimitive, InstanceObject, ImageMetaObject, RequestSpecObject, NetworkRequestListObject, BlockDeviceMappingObject, SelectionObject } from '../objects/index.js';
import { newRequestId } from '../bus/context.js';
import { KeyedLock } from './keyed-lock.js';
import { ResourceTracker } from './resource-tracker.js';
import { buildAndRunInstance } from './tasks/build-and-run-instance.js';
import { terminateInstance } from './tasks/terminate-instance.js';
import { initInstances } from './tasks/init-instance.js';
import { runPowerAction } from './tasks/power-action.js';
import { syncInstancePowerState, syncPowerStates } from './tasks/sync-power-states.js';
import { imageMetaForInstance } from './tasks/image-meta.js';
import { setAdminPassword } from './tasks/set-admin-password.js';
import { rebuildInstance } from './tasks/rebuild-instance.js';
import { rescueInstance, unrescueInstance } from './tasks/rescue.js';
import { snapshotInstance } from './tasks/snapshot-instance.js';
import { confirmResize, finishResize, finishRevertResize, pollUnconfirmedResizes, resizeInstance, revertResize } from './tasks/resize.js';
import { FlavorObject } from '../objects/index.js';
import { triggerCrashDump } from './tasks/trigger-crash-dump.js';
import { reclaimQueuedDeletes, restoreInstance, softDeleteInstance } from './tasks/soft-delete.js';
import { toDriverInstance } from './driver-instance.js';
import { pollShelvedInstances, shelveInstance, shelveOffloadInstance } from './tasks/shelve-instance.js';
import { unshelveInstance } from './tasks/unshelve-instance.js';
import { attachInterface, detachInterface } from './tasks/attach-interface.js';
import { liveMigrateInstance, postLiveMigrationAtDestination, preLiveMigration, rollbackLiveMigrationAtDestination } from './tasks/live-migration.js';
import { destroyEvacuatedInstances, evacuateInstance } from './tasks/evacuate.js';
import type { PowerStateValue } from '../virt/driver.js';
import type { ComputeHostDeps } from './tasks/context.js';
import type { ConsoleProtocol, VifInfo } from '../virt/driver.js';

export class ComputeManager {
  private readonly locks = new KeyedLock();
  readonly resourceTracker: ResourceTracker;
  private readonly running = new Set<Promise<unknown>>();
  private timers: NodeJS.Timeout[] = [];
  /** Live migrations leaving this host, by server: how an abort or a forced completion reaches the copy. */
  private readonly liveMigrations = new Map<string, { migrationUuid: string; abort: AbortController; complete: () => void }>();

  constructor(private readonly deps: ComputeHostDeps) {
    this.resourceTracker = new ResourceTracker(deps);
  }

  /**
   * init_host: the driver, the servers a previous run left mid-way (Nova's
   * _init_instance), then the first resource report, which then counts them
   * as they now are.
   */
  async initHost(): Promise<void> {
    await this.deps.driver.initHost(this.deps.host);
    await destroyEvacuatedInstances(this.deps);
    const recovered = await initInstances(this.deps, (uuid, work) => this.locks.run(uuid, work));
    if (recovered > 0) this.deps.logger.info({ count: recovered }, 'recovered servers a restart interrupted');
    // A guest's own power change reaches the record at once, in turn with the
    // operations on that guest (an event during a reboot is read after it).
    this.deps.driver.registerLifecycleListener?.((event) => {
      this.spawnTask(event.uuid, () => syncInstancePowerState(this.deps, event.uuid));
    });
    await this.resourceTracker.updateAvailableResource();
  }

  /** The host's nova-compute service record, made or marked seen at start (Nova's Service.create through the conductor). */
  registerService(): Promise<void> {
    return this.deps.store.registerService(this.deps.host, 'nova-compute', 'compute');
  }

  /** One servicegroup heartbeat of this host. */
  reportServiceUp(): Promise<void> {
    return this.deps.store.reportServiceUp(this.deps.host, ['nova-compute']);
  }

  startPeriodicTasks(intervalS: number): void {
    const every = (ms: number, name: string, fn: () => Promise<void>) => {
      const t = setInterval(() => {
        this.track(fn().catch((err) => this.deps.logger.warn({ err, task: name }, 'periodic task failed')));
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(intervalS * 1000, 'update_available_resource', () => this.resourceTracker.updateAvailableResource());
    every(intervalS * 1000, 'sync_power_states', () => syncPowerStates(this.deps, internalContext(newRequestId())));
    const confirmWindow = this.deps.conf.DEFAULT.resize_confirm_window;
    if (confirmWindow > 0) {
      every(Math.min(confirmWindow, intervalS) * 1000, 'poll_unconfirmed_resizes', () => pollUnconfirmedResizes(this.deps, async (instance, m, ctx) => {
        if (m.source_compute && m.source_compute !== this.deps.host) await this.deps.compute?.confirmResize(ctx, m.source_compute, instance, m.uuid);
        else this.spawnTask(instance.uuid, () => confirmResize(this.deps, ctx, instance, m.uuid));
      }));
    }
    if (this.deps.conf.DEFAULT.shelved_offload_time > 0) {
      const pollS = Math.min(this.deps.conf.DEFAULT.shelved_poll_interval, this.deps.conf.DEFAULT.shelved_offload_time);
      every(pollS * 1000, 'poll_shelved_instances', () => pollShelvedInstances(this.deps, (instance, ctx) => {
        this.spawnTask(instance.uuid, () => shelveOffloadInstance(this.deps, ctx, instance));
      }));
    }
    // Nova runs this one at the interval itself, so a server is reclaimed about that long after its delete.
    const reclaim = this.deps.conf.DEFAULT.reclaim_instance_interval;
    if (reclaim > 0) {
      every(reclaim * 1000, 'reclaim_queued_deletes', () => reclaimQueuedDeletes(this.deps, internalContext(newRequestId()), (uuid, work) => this.locks.run(uuid, work)));
    }
  }

  /** Stops periodic tasks and waits for the work in flight. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.allSettled([...this.running]);
    await this.deps.driver.cleanupHost();
  }

  endpoint(): RpcEndpoint {
    return {
      build_and_run_instance: (ctx: RequestContext, args: Record<string, unknown>) => {
        const a = {
          instance: fromPrimitive(InstanceObject, args.instance),
          requestSpec: fromPrimitive(RequestSpecObject, args.request_spec),
          requestedNetworks: fromPrimitive(NetworkRequestListObject, args.requested_networks),
          blockDeviceMappings: (args.block_device_mappings as unknown[]).map((p) => fromPrimitive(BlockDeviceMappingObject, p)),
          selection: fromPrimitive(SelectionObject, args.selection),
          alternates: (args.alternates as unknown[]).map((p) => fromPrimitive(SelectionObject, p)),
          injectedFiles: injectedFilesFrom(args.injected_files),
        };
        this.spawnTask(a.instance.uuid, () => buildAndRunInstance(this.deps, ctx, a));
      },
      terminate_instance: (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        this.spawnTask(instance.uuid, () => terminateInstance(this.deps, ctx, instance));
      },
      get_console_output: async (_ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        return this.deps.driver.getConsoleOutput(toDriverInstance(instance, imageMetaForInstance(instance), this.deps.conf.DEFAULT.instance_name_template));
      },
      get_remote_console: async (_ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        const driverInstance = toDriverInstance(instance, imageMetaForInstance(instance), this.deps.conf.DEFAULT.instance_name_template);
        return this.deps.driver.getRemoteConsole(driverInstance, String(args.protocol) as ConsoleProtocol);
      },
      get_host_uptime: async () => this.deps.driver.getHostUptime(),
      get_instance_diagnostics: async (_ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        let vifs: VifInfo[] = [];
        try {
          vifs = JSON.parse(String(args.network_info ?? '[]')) as VifInfo[];
        } catch {
          vifs = [];
        }
        return this.deps.driver.getDiagnostics(toDriverInstance(instance, imageMetaForInstance(instance), this.deps.conf.DEFAULT.instance_name_template), vifs);
      },
      set_admin_password: async (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        const work = this.locks.run(instance.uuid, () => setAdminPassword(this.deps, ctx, instance, String(args.new_pass)));
        this.track(work.catch(() => undefined));
        await work;
      },
      trigger_crash_dump: (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        this.spawnTask(instance.uuid, () => triggerCrashDump(this.deps, ctx, instance));
      },
      soft_delete_instance: (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        this.spawnTask(instance.uuid, () => softDeleteInstance(this.deps, ctx, instance));
      },
      restore_instance: (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        this.spawnTask(instance.uuid, () => restoreInstance(this.deps, ctx, instance));
      },
      rebuild_instance: (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        const image = fromPrimitive(ImageMetaObject, args.image);
        this.spawnTask(instance.uuid, () => rebuildInstance(this.deps, ctx, instance, image, { origVmState: String(args.orig_vm_state), injectedFiles: injectedFilesFrom(args.injected_files) }));
      },
      rescue_instance: (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        const image = fromPrimitive(ImageMetaObject, args.rescue_image);
        this.spawnTask(instance.uuid, () => rescueInstance(this.deps, ctx, instance, image, String(args.rescue_password)));
      },
      unrescue_instance: (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        this.spawnTask(instance.uuid, () => unrescueInstance(this.deps, ctx, instance));
      },
      snapshot_instance: (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        const backup = typeof args.backup_type === 'string' ? { type: args.backup_type, rotation: Number(args.rotation) } : undefined;
        this.spawnTask(instance.uuid, () => snapshotInstance(this.deps, ctx, instance, { imageId: String(args.image_id), backup }));
      },
      resize_instance: (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        const flavor = fromPrimitive(FlavorObject, args.flavor);
        this.spawnTask(instance.uuid, () => resizeInstance(this.deps, ctx, instance, String(args.migration_uuid), flavor, (w) => this.spawnTask(instance.uuid, w)));
      },
      finish_resize: (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        const flavor = fromPrimitive(FlavorObject, args.flavor);
        this.spawnTask(instance.uuid, () => finishResize(this.deps, ctx, instance, String(args.migration_uuid), flavor));
      },
      confirm_resize: (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        this.spawnTask(instance.uuid, () => confirmResize(this.deps, ctx, instance, String(args.migration_uuid)));
      },
      revert_resize: (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        this.spawnTask(instance.uuid, () => revertResize(this.deps, ctx, instance, String(args.migration_uuid), (w) => this.spawnTask(instance.uuid, w)));
      },
      finish_revert_resize: (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        this.spawnTask(instance.uuid, () => finishRevertResize(this.deps, ctx, instance, String(args.migration_uuid)));
      },
      shelve_instance: (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        this.spawnTask(instance.uuid, () => shelveInstance(this.deps, ctx, instance, String(args.image_id)));
      },
      shelve_offload_instance: (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        this.spawnTask(instance.uuid, () => shelveOffloadInstance(this.deps, ctx, instance));
      },
      unshelve_instance: (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        this.spawnTask(instance.uuid, () => unshelveInstance(this.deps, ctx, instance, typeof args.node === 'string' ? args.node : null));
      },
      attach_interface: async (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        const str = (v: unknown) => (typeof v === 'string' ? v : null);
        const work = this.locks.run(instance.uuid, () => attachInterface(this.deps, ctx, instance, {
          networkId: str(args.network_id), portId: str(args.port_id), fixedIp: str(args.requested_ip), tag: str(args.tag),
        }));
        this.track(work.catch(() => undefined));
        return work;
      },
      detach_interface: (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        this.spawnTask(instance.uuid, () => detachInterface(this.deps, ctx, instance, String(args.port_id)));
      },
      live_migration: async (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        const migrationUuid = String(args.migration_uuid);
        let complete!: () => void;
        const completeNow = new Promise<void>((resolve) => { complete = resolve; });
        const flight = { migrationUuid, abort: new AbortController(), complete };
        this.liveMigrations.set(instance.uuid, flight);
        await this.deps.store.saveMigration(migrationUuid, { status: 'queued' });
        this.spawnTask(instance.uuid, async () => {
          try {
            await liveMigrateInstance(this.deps, ctx, instance, migrationUuid, String(args.dest), { signal: flight.abort.signal, completeNow });
          } finally {
            if (this.liveMigrations.get(instance.uuid) === flight) this.liveMigrations.delete(instance.uuid);
          }
        });
      },
      pre_live_migration: async (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        await this.runNow(instance.uuid, () => preLiveMigration(this.deps, ctx, instance));
      },
      post_live_migration_at_destination: async (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        await this.runNow(instance.uuid, () => postLiveMigrationAtDestination(this.deps, ctx, instance, String(args.migration_uuid), Number(args.power_state) as PowerStateValue));
      },
      rollback_live_migration_at_destination: async (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        await this.runNow(instance.uuid, () => rollbackLiveMigrationAtDestination(this.deps, ctx, instance));
      },
      // Not in turn with the server's other operations: they reach the copy under way.
      live_migration_force_complete: (_ctx: RequestContext, args: Record<string, unknown>) => {
        const flight = this.liveMigrations.get(fromPrimitive(InstanceObject, args.instance).uuid);
        if (flight && flight.migrationUuid === String(args.migration_uuid)) flight.complete();
      },
      live_migration_abort: (_ctx: RequestContext, args: Record<string, unknown>) => {
        const flight = this.liveMigrations.get(fromPrimitive(InstanceObject, args.instance).uuid);
        if (flight && flight.migrationUuid === String(args.migration_uuid)) flight.abort.abort();
      },
      evacuate_instance: (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        this.spawnTask(instance.uuid, () => evacuateInstance(this.deps, ctx, instance, String(args.migration_uuid), { origVmState: String(args.orig_vm_state) }));
      },
      instance_action: (ctx: RequestContext, args: Record<string, unknown>) => {
        const instance = fromPrimitive(InstanceObject, args.instance);
        this.spawnTask(instance.uuid, () => runPowerAction(this.deps, ctx, String(args.action), instance, args));
      },
    };
  }

  /** A call's work, in turn with the server's operations on this host; its error goes back to the caller. */
  private async runNow(uuid: string, work: () => Promise<void>): Promise<void> {
    const p = this.locks.run(uuid, work);
    this.track(p.catch(() => undefined));
    await p;
  }

  private spawnTask(uuid: string, work: () => Promise<void>): void {
    this.track(this.locks.run(uuid, work).catch((err) => this.deps.logger.error({ err, instance: uuid }, 'compute task failed')));
  }

  private track(p: Promise<unknown>): void {
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }
}
