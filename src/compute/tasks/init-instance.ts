/**
 * Nova's ComputeManager._init_instance: at start, each server on this host
 * that a previous run left in the middle of something is brought to a state
 * it can leave. A build cannot be resumed (its request is gone with the
 * process), so it ends in ERROR with its resources released; a delete is
 * finished; a power action is retried, or cleared to what the hypervisor
 * says the guest is doing.
 */
import type { Logger } from 'pino';
import type { RequestContext } from '../../bus/context.js';
import type { Instance } from '../../objects/instance.js';
import { InstanceNotFoundOnHost, PowerState } from '../../virt/driver.js';
import { markBuildFailed, releaseBuildResources } from './build-failure.js';
import { toDriverInstance } from '../driver-instance.js';
import { TaskState, VmState } from '../vm-states.js';
import type { ComputeHostDeps } from './context.js';
import { imageMetaForInstance } from './image-meta.js';
import { resetLiveMigration } from './live-migration.js';
import { runPowerAction } from './power-action.js';
import { terminateInstance } from './terminate-instance.js';

/** What the user sees in the fault of a build the restart cut short. */
export function interruptedBuildMessage(uuid: string): string {
  return `Build of instance ${uuid} was interrupted by a restart of the compute service.`;
}

const BUILD_TASK_STATES: readonly string[] = [TaskState.SCHEDULING, TaskState.BLOCK_DEVICE_MAPPING, TaskState.NETWORKING, TaskState.SPAWNING];
const REBUILD_TASK_STATES: readonly string[] = [TaskState.REBUILDING, TaskState.REBUILD_BLOCK_DEVICE_MAPPING, TaskState.REBUILD_SPAWNING];
// Our API sets rebooting(_hard) and the host does the reboot without further
// steps, so "rebooting" plays the part of Nova's reboot_pending.
const SOFT_REBOOT_PENDING: readonly string[] = [TaskState.REBOOTING, 'reboot_pending'];
const HARD_REBOOT_PENDING: readonly string[] = [TaskState.REBOOTING_HARD, 'reboot_pending_hard'];
const REBOOT_STARTED: readonly string[] = ['reboot_started', 'reboot_started_hard'];
const SOFT_REBOOT_STATES: readonly string[] = [...SOFT_REBOOT_PENDING, 'reboot_started'];
const ALLOW_SOFT_REBOOT: readonly string[] = [VmState.ACTIVE];
const ALLOW_HARD_REBOOT: readonly string[] = [VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED, VmState.ERROR];

/** Whether a row is one a previous run left mid-way (the rest need nothing at start). */
export function needsInit(row: Pick<Instance, 'vm_state' | 'task_state'>): boolean {
  return row.vm_state === VmState.BUILDING || row.vm_state === VmState.DELETED || row.task_state !== null;
}

/** At most this many servers are recovered at once: enough to finish fast, few enough not to flood the driver. */
const RECOVERY_CONCURRENCY = 8;

/**
 * Every server of this host a previous run left mid-way, each through
 * `runLocked` (the manager's per-server lock). Resolves once all are done, so
 * what starts next sees settled states; one server's failure is logged and
 * does not stop the others.
 */
export async function initInstances(deps: ComputeHostDeps, runLocked: (uuid: string, work: () => Promise<void>) => Promise<void>): Promise<number> {
  const rows = (await deps.store.listInstancesOnHost(deps.host)).filter(needsInit);
  let next = 0;
  const worker = async () => {
    while (next < rows.length) {
      const instance = rows[next++];
      await runLocked(instance.uuid, () => initInstance(deps, instance)).catch((err) => deps.logger.error({ err, instance: instance.uuid }, 'could not recover the server at start'));
    }
  };
  await Promise.all(Array.from({ length: Math.min(RECOVERY_CONCURRENCY, rows.length) }, worker));
  return rows.length;
}

export async function initInstance(deps: ComputeHostDeps, instance: Instance): Promise<void> {
  const { ctx } = await deps.store.findInterruptedAction(instance.uuid);
  const log = deps.logger.child({ request_id: ctx.requestId, instance: instance.uuid });
  const taskState = instance.task_state;

  if (instance.vm_state === VmState.SOFT_DELETED) return;
  if (instance.vm_state === VmState.ERROR && taskState !== TaskState.DELETING) {
    // Nova leaves these alone; we also drop a stale task_state, which would
    // otherwise refuse every later action but delete.
    if (taskState !== null) await clearTask(deps, ctx, instance, {});
    return;
  }
  if (instance.vm_state === VmState.DELETED || taskState === TaskState.DELETING) {
    await completeDeletion(deps, ctx, log, instance);
    return;
  }
  if (instance.vm_state === VmState.BUILDING || (taskState !== null && BUILD_TASK_STATES.includes(taskState))) {
    await failInterruptedBuild(deps, ctx, log, instance);
    return;
  }
  if (taskState === null) return;
  if (REBUILD_TASK_STATES.includes(taskState)) {
    // Nova's rule: a rebuild cut short leaves a guest in an unknown state, so ERROR (a rebuild again repairs it).
    log.warn({ task_state: taskState }, 'rebuild interrupted by a restart; setting the server to ERROR');
    await deps.store.failInterruptedEvents(ctx, instance.uuid, null);
    await deps.store.saveInstance(instance.uuid, { vm_state: VmState.ERROR, task_state: null }, [taskState]);
    await deps.store.addInstanceFault(instance.uuid, { code: 500, message: `Rebuild of instance ${instance.uuid} was interrupted by a restart of the compute service.`, host: deps.host });
    await deps.store.finishAction(ctx, instance.uuid);
    return;
  }

  await deps.store.failInterruptedEvents(ctx, instance.uuid, null);
  if (taskState === TaskState.MIGRATING) await resetLiveMigration(deps, ctx, instance);
  const power = await currentPowerState(deps, instance);
  const reboot = rebootToRetry(instance.vm_state, taskState, power);
  if (reboot) {
    log.info({ task_state: taskState, power_state: power, reboot_type: reboot }, 'retrying a reboot interrupted by a restart');
    const retryState = reboot === 'HARD' ? TaskState.REBOOTING_HARD : taskState;
    if (retryState !== taskState) await deps.store.saveInstance(instance.uuid, { task_state: retryState });
    await runPowerAction(deps, ctx, 'reboot', { ...instance, task_state: retryState }, { reboot_type: reboot });
    return;
  }

  const retry = powerActionToRetry(taskState, power);
  if (retry) {
    log.info({ task_state: taskState, power_state: power, action: retry }, 'retrying a power action interrupted by a restart');
    await runPowerAction(deps, ctx, retry, instance, {});
    return;
  }
  const vmState = vmStateAfterInterruption(instance.vm_state, taskState, power);
  log.info({ task_state: taskState, power_state: power, vm_state: vmState }, 'clearing a task state a restart interrupted');
  await clearTask(deps, ctx, instance, { vm_state: vmState, power_state: power });
}

/** Nova's _retry_reboot: the reboot type to retry with, or null. */
function rebootToRetry(vmState: string, taskState: string, power: number): 'SOFT' | 'HARD' | null {
  const type = power === PowerState.RUNNING && SOFT_REBOOT_STATES.includes(taskState) ? 'SOFT' : 'HARD';
  const pendingSoft = SOFT_REBOOT_PENDING.includes(taskState) && ALLOW_SOFT_REBOOT.includes(vmState);
  const pendingHard = HARD_REBOOT_PENDING.includes(taskState) && ALLOW_HARD_REBOOT.includes(vmState);
  const startedNotRunning = REBOOT_STARTED.includes(taskState) && power !== PowerState.RUNNING;
  return pendingSoft || pendingHard || startedNotRunning ? type : null;
}

/** The actions Nova sends again at start: stop, start, and an unpause of a guest still paused; we add resume. */
function powerActionToRetry(taskState: string, power: number): 'stop' | 'start' | 'unpause' | 'resume' | null {
  if (taskState === TaskState.POWERING_OFF) return 'stop';
  if (taskState === TaskState.POWERING_ON) return 'start';
  if (taskState === TaskState.UNPAUSING && power === PowerState.PAUSED) return 'unpause';
  if (taskState === TaskState.RESUMING && power !== PowerState.RUNNING && power !== PowerState.NOSTATE) return 'resume';
  return null;
}

/**
 * What the server is once the task is dropped, from what the guest does now:
 * a pause or suspend that took effect stands; one that did not leaves the
 * server running (Nova's rule for pausing and reboot_started).
 */
function vmStateAfterInterruption(vmState: string, taskState: string, power: number): string {
  if (power === PowerState.RUNNING && [...REBOOT_STARTED, TaskState.PAUSING, TaskState.UNPAUSING, TaskState.SUSPENDING, TaskState.RESUMING].includes(taskState)) {
    return VmState.ACTIVE;
  }
  if (taskState === TaskState.PAUSING && power === PowerState.PAUSED) return VmState.PAUSED;
  // libvirt shows a managed save (a suspended guest) as shut down.
  if (taskState === TaskState.SUSPENDING && (power === PowerState.SUSPENDED || power === PowerState.SHUTDOWN)) return VmState.SUSPENDED;
  return vmState;
}

async function currentPowerState(deps: ComputeHostDeps, instance: Instance): Promise<number> {
  try {
    return (await deps.driver.getInfo(toDriverInstance(instance, imageMetaForInstance(instance), deps.conf.DEFAULT.instance_name_template))).state;
  } catch (err) {
    if (err instanceof InstanceNotFoundOnHost) return PowerState.NOSTATE;
    throw err;
  }
}

async function clearTask(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance, values: { vm_state?: string; power_state?: number }): Promise<void> {
  await deps.store.saveInstance(instance.uuid, { ...values, task_state: null }, [instance.task_state]);
  await deps.store.finishAction(ctx, instance.uuid);
}

async function failInterruptedBuild(deps: ComputeHostDeps, ctx: RequestContext, log: Logger, instance: Instance): Promise<void> {
  log.warn({ task_state: instance.task_state }, 'build interrupted by a restart; setting the server to ERROR');
  await deps.store.failInterruptedEvents(ctx, instance.uuid, { event: 'compute__do_build_and_run_instance', host: deps.host });
  const driverInstance = toDriverInstance(instance, imageMetaForInstance(instance), deps.conf.DEFAULT.instance_name_template);
  await releaseBuildResources(deps, log, driverInstance, { releasePorts: true });
  await markBuildFailed(deps, ctx, instance, { code: 500, message: interruptedBuildMessage(instance.uuid), host: deps.host });
}

/** Nova's _complete_partial_deletion / restarted _delete_instance. */
async function completeDeletion(deps: ComputeHostDeps, ctx: RequestContext, log: Logger, instance: Instance): Promise<void> {
  log.info('a delete was interrupted by a restart; finishing it');
  await deps.store.failInterruptedEvents(ctx, instance.uuid, null);
  try {
    await terminateInstance(deps, ctx, { ...instance, task_state: TaskState.DELETING });
  } catch (err) {
    log.error({ err }, 'could not finish an interrupted delete');
    await deps.store.saveInstance(instance.uuid, { vm_state: VmState.ERROR, task_state: null });
    await deps.store.addInstanceFault(instance.uuid, {
      code: 500, message: 'The deletion of the server was interrupted by a restart of the compute service and could not be completed.', host: deps.host,
    });
    await deps.store.finishAction(ctx, instance.uuid);
  }
}
