/**
 * ComputeManager: a compute host's RPC endpoint (topic compute.<host>). It
 * implements the handlers of the API declared in rpc-methods.ts, which reach it
 * with their arguments decoded, and dispatches; the work of each action lives
 * in tasks/. Operations on one server run one at a time, each as its own task
 * so the endpoint stays free.
 */
import type { RequestContext } from '../bus/context.js';
import { internalContext } from '../bus/context.js';
import type { RpcEndpoint } from '../bus/rpc.js';
import type { Instance } from '../objects/index.js';
import { rpcEndpoint, type RpcArgs, type RpcHandlers } from '../rpc/rpc-api.js';
import { COMPUTE_RPC_API } from './rpc-methods.js';
import { newRequestId } from '../bus/context.js';
import { KeyedLock } from './keyed-lock.js';
import { checkInstanceBuildTime } from './tasks/check-build-time.js';
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
import { triggerCrashDump } from './tasks/trigger-crash-dump.js';
import { reclaimQueuedDeletes, restoreInstance, softDeleteInstance } from './tasks/soft-delete.js';
import { toDriverInstance } from './driver-instance.js';
import { pollShelvedInstances, shelveInstance, shelveOffloadInstance } from './tasks/shelve-instance.js';
import { unshelveInstance } from './tasks/unshelve-instance.js';
import { attachInterface, detachInterface } from './tasks/attach-interface.js';
import { liveMigrateInstance, postLiveMigrationAtDestination, preLiveMigration, rollbackLiveMigrationAtDestination } from './tasks/live-migration.js';
import { destroyEvacuatedInstances, evacuateInstance } from './tasks/evacuate.js';
import type { ComputeHostDeps } from './tasks/context.js';
import type { ConsoleEndpoint, Diagnostics, DriverInstance, VifInfo } from '../virt/driver.js';

type ComputeArgs<N extends keyof typeof COMPUTE_RPC_API.methods> = RpcArgs<typeof COMPUTE_RPC_API, N>;

export class ComputeManager implements RpcHandlers<typeof COMPUTE_RPC_API> {
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
        if (m.source_compute && m.source_compute !== this.deps.host) await this.deps.compute?.confirmResize(ctx, m.source_compute, { instance, migrationUuid: m.uuid });
        else this.spawnTask(instance.uuid, () => confirmResize(this.deps, ctx, instance, m.uuid));
      }));
    }
    if (this.deps.conf.DEFAULT.shelved_offload_time > 0) {
      const pollS = Math.min(this.deps.conf.DEFAULT.shelved_poll_interval, this.deps.conf.DEFAULT.shelved_offload_time);
      every(pollS * 1000, 'poll_shelved_instances', () => pollShelvedInstances(this.deps, (instance, ctx) => {
        this.spawnTask(instance.uuid, () => shelveOffloadInstance(this.deps, ctx, instance));
      }));
    }
    const buildTimeout = this.deps.conf.DEFAULT.instance_build_timeout;
    if (buildTimeout > 0) {
      every(Math.min(buildTimeout, intervalS) * 1000, 'check_instance_build_time', async () => {
        await checkInstanceBuildTime(this.deps, internalContext(newRequestId()), buildTimeout);
      });
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

  /** The dispatch table for topic compute.<host>: the declared methods, decoded, to the handlers below. */
  endpoint(): RpcEndpoint {
    return rpcEndpoint(COMPUTE_RPC_API, this);
  }

  // ---- RPC handlers (declared in rpc-methods.ts; arguments arrive decoded) ----

  buildAndRunInstance(ctx: RequestContext, args: ComputeArgs<'build_and_run_instance'>): void {
    this.spawnTask(args.instance.uuid, () => buildAndRunInstance(this.deps, ctx, args));
  }

  terminateInstance(ctx: RequestContext, { instance }: ComputeArgs<'terminate_instance'>): void {
    this.spawnTask(instance.uuid, () => terminateInstance(this.deps, ctx, instance));
  }

  async getConsoleOutput(_ctx: RequestContext, { instance }: ComputeArgs<'get_console_output'>): Promise<string> {
    return this.deps.driver.getConsoleOutput(this.driverInstance(instance));
  }

  async getRemoteConsole(_ctx: RequestContext, { instance, protocol }: ComputeArgs<'get_remote_console'>): Promise<ConsoleEndpoint> {
    return this.deps.driver.getRemoteConsole(this.driverInstance(instance), protocol);
  }

  async getHostUptime(): Promise<string> {
    return this.deps.driver.getHostUptime();
  }

  async getInstanceDiagnostics(_ctx: RequestContext, { instance, networkInfo }: ComputeArgs<'get_instance_diagnostics'>): Promise<Diagnostics> {
    let vifs: VifInfo[] = [];
    try {
      vifs = JSON.parse(networkInfo) as VifInfo[];
    } catch {
      vifs = [];
    }
    return this.deps.driver.getDiagnostics(this.driverInstance(instance), vifs);
  }

  async setAdminPassword(ctx: RequestContext, { instance, newPass }: ComputeArgs<'set_admin_password'>): Promise<void> {
    await this.runNow(instance.uuid, () => setAdminPassword(this.deps, ctx, instance, newPass));
  }

  triggerCrashDump(ctx: RequestContext, { instance }: ComputeArgs<'trigger_crash_dump'>): void {
    this.spawnTask(instance.uuid, () => triggerCrashDump(this.deps, ctx, instance));
  }

  softDeleteInstance(ctx: RequestContext, { instance }: ComputeArgs<'soft_delete_instance'>): void {
    this.spawnTask(instance.uuid, () => softDeleteInstance(this.deps, ctx, instance));
  }

  restoreInstance(ctx: RequestContext, { instance }: ComputeArgs<'restore_instance'>): void {
    this.spawnTask(instance.uuid, () => restoreInstance(this.deps, ctx, instance));
  }

  rebuildInstance(ctx: RequestContext, { instance, image, origVmState, injectedFiles }: ComputeArgs<'rebuild_instance'>): void {
    this.spawnTask(instance.uuid, () => rebuildInstance(this.deps, ctx, instance, image, { origVmState, injectedFiles }));
  }

  rescueInstance(ctx: RequestContext, { instance, rescueImage, rescuePassword }: ComputeArgs<'rescue_instance'>): void {
    this.spawnTask(instance.uuid, () => rescueInstance(this.deps, ctx, instance, rescueImage, rescuePassword));
  }

  unrescueInstance(ctx: RequestContext, { instance }: ComputeArgs<'unrescue_instance'>): void {
    this.spawnTask(instance.uuid, () => unrescueInstance(this.deps, ctx, instance));
  }

  snapshotInstance(ctx: RequestContext, { instance, imageId, backupType, rotation }: ComputeArgs<'snapshot_instance'>): void {
    const backup = backupType !== undefined ? { type: backupType, rotation: rotation ?? 0 } : undefined;
    this.spawnTask(instance.uuid, () => snapshotInstance(this.deps, ctx, instance, { imageId, backup }));
  }

  resizeInstance(ctx: RequestContext, { instance, migrationUuid, flavor }: ComputeArgs<'resize_instance'>): void {
    this.spawnTask(instance.uuid, () => resizeInstance(this.deps, ctx, instance, migrationUuid, flavor, (w) => this.spawnTask(instance.uuid, w)));
  }

  finishResize(ctx: RequestContext, { instance, migrationUuid, flavor }: ComputeArgs<'finish_resize'>): void {
    this.spawnTask(instance.uuid, () => finishResize(this.deps, ctx, instance, migrationUuid, flavor));
  }

  confirmResize(ctx: RequestContext, { instance, migrationUuid }: ComputeArgs<'confirm_resize'>): void {
    this.spawnTask(instance.uuid, () => confirmResize(this.deps, ctx, instance, migrationUuid));
  }

  revertResize(ctx: RequestContext, { instance, migrationUuid }: ComputeArgs<'revert_resize'>): void {
    this.spawnTask(instance.uuid, () => revertResize(this.deps, ctx, instance, migrationUuid, (w) => this.spawnTask(instance.uuid, w)));
  }

  finishRevertResize(ctx: RequestContext, { instance, migrationUuid }: ComputeArgs<'finish_revert_resize'>): void {
    this.spawnTask(instance.uuid, () => finishRevertResize(this.deps, ctx, instance, migrationUuid));
  }

  shelveInstance(ctx: RequestContext, { instance, imageId }: ComputeArgs<'shelve_instance'>): void {
    this.spawnTask(instance.uuid, () => shelveInstance(this.deps, ctx, instance, imageId));
  }

  shelveOffloadInstance(ctx: RequestContext, { instance }: ComputeArgs<'shelve_offload_instance'>): void {
    this.spawnTask(instance.uuid, () => shelveOffloadInstance(this.deps, ctx, instance));
  }

  unshelveInstance(ctx: RequestContext, { instance, node }: ComputeArgs<'unshelve_instance'>): void {
    this.spawnTask(instance.uuid, () => unshelveInstance(this.deps, ctx, instance, node));
  }

  async attachInterface(ctx: RequestContext, { instance, networkId, portId, requestedIp, tag }: ComputeArgs<'attach_interface'>): Promise<string> {
    const work = this.locks.run(instance.uuid, () => attachInterface(this.deps, ctx, instance, { networkId, portId, fixedIp: requestedIp, tag }));
    this.track(work.catch(() => undefined));
    return work;
  }

  detachInterface(ctx: RequestContext, { instance, portId }: ComputeArgs<'detach_interface'>): void {
    this.spawnTask(instance.uuid, () => detachInterface(this.deps, ctx, instance, portId));
  }

  async liveMigration(ctx: RequestContext, { instance, migrationUuid, dest }: ComputeArgs<'live_migration'>): Promise<void> {
    let complete!: () => void;
    const completeNow = new Promise<void>((resolve) => { complete = resolve; });
    const flight = { migrationUuid, abort: new AbortController(), complete };
    this.liveMigrations.set(instance.uuid, flight);
    await this.deps.store.saveMigration(migrationUuid, { status: 'queued' });
    this.spawnTask(instance.uuid, async () => {
      try {
        await liveMigrateInstance(this.deps, ctx, instance, migrationUuid, dest, { signal: flight.abort.signal, completeNow });
      } finally {
        if (this.liveMigrations.get(instance.uuid) === flight) this.liveMigrations.delete(instance.uuid);
      }
    });
  }

  async preLiveMigration(ctx: RequestContext, { instance }: ComputeArgs<'pre_live_migration'>): Promise<void> {
    await this.runNow(instance.uuid, () => preLiveMigration(this.deps, ctx, instance));
  }

  async postLiveMigrationAtDestination(ctx: RequestContext, { instance, migrationUuid, powerState }: ComputeArgs<'post_live_migration_at_destination'>): Promise<void> {
    await this.runNow(instance.uuid, () => postLiveMigrationAtDestination(this.deps, ctx, instance, migrationUuid, powerState));
  }

  async rollbackLiveMigrationAtDestination(ctx: RequestContext, { instance }: ComputeArgs<'rollback_live_migration_at_destination'>): Promise<void> {
    await this.runNow(instance.uuid, () => rollbackLiveMigrationAtDestination(this.deps, ctx, instance));
  }

  // Not in turn with the server's other operations: they reach the copy under way.
  liveMigrationForceComplete(_ctx: RequestContext, { instance, migrationUuid }: ComputeArgs<'live_migration_force_complete'>): void {
    const flight = this.liveMigrations.get(instance.uuid);
    if (flight && flight.migrationUuid === migrationUuid) flight.complete();
  }

  liveMigrationAbort(_ctx: RequestContext, { instance, migrationUuid }: ComputeArgs<'live_migration_abort'>): void {
    const flight = this.liveMigrations.get(instance.uuid);
    if (flight && flight.migrationUuid === migrationUuid) flight.abort.abort();
  }

  evacuateInstance(ctx: RequestContext, { instance, migrationUuid, origVmState, group }: ComputeArgs<'evacuate_instance'>): void {
    this.spawnTask(instance.uuid, () => evacuateInstance(this.deps, ctx, instance, migrationUuid, { origVmState, group: group ?? null }));
  }

  instanceAction(ctx: RequestContext, { action, instance, rebootType }: ComputeArgs<'instance_action'>): void {
    this.spawnTask(instance.uuid, () => runPowerAction(this.deps, ctx, action, instance, { reboot_type: rebootType }));
  }

  private driverInstance(instance: Instance): DriverInstance {
    return toDriverInstance(instance, imageMetaForInstance(instance), this.deps.conf.DEFAULT.instance_name_template);
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
