/**
 * ComputeManager.buildAndRunInstance: the server group's hard policy
 * re-checked on this host, network allocation started at once and
 * awaited only when the driver needs it, block device names, driver.spawn,
 * then ACTIVE. A failure cleans up and reschedules to an alternate host, or
 * ends in ERROR with a fault — a server is never left in BUILD.
 */
import type { Logger } from 'pino';
import type { RequestContext } from '../../bus/context.js';
import { RpcTimeout } from '../../bus/rpc.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpawnFailed, type VifInfo } from '../../virt/driver.js';
import type { BuildAndRunInstanceArgs } from '../rpcapi.js';
import { groupHint } from '../../objects/request-spec.js';
import { GroupAffinityViolation } from '../group-policy.js';
import { validateInstanceGroupPolicy } from './group-check.js';
import { withStartedActionEvent } from './action-event.js';
import { markBuildFailed, releaseBuildResources } from './build-failure.js';
import { instancePayload } from '../notifications.js';
import { toDriverInstance } from '../driver-instance.js';
import { TaskState, VmState } from '../vm-states.js';
import type { RequestedNetwork } from '../clients.js';
import type { ActionEventRef, EventStep, InstanceUpdate } from '../host-objects/port.js';
import type { ComputeHostDeps } from './context.js';
import { wirePorts } from './port-wiring.js';

/** The server was deleted while it was being built; the delete cleans up. */
class BuildAbortedByDelete extends Error {}

const ROOT_DEVICE = '/dev/vda';

export async function buildAndRunInstance(deps: ComputeHostDeps, ctx: RequestContext, args: BuildAndRunInstanceArgs): Promise<void> {
  const log = deps.logger.child({ request_id: ctx.requestId, instance: args.instance.uuid });
  const instance = { ...args.instance, host: deps.host };
  const { uuid } = instance;

  // Nova's configdrive.required_by: the record says so when the operator or the image forces one.
  const configDrive = configDriveRequired(deps, instance.config_drive, args.requestSpec.image.properties) ? 'True' : instance.config_drive;
  // With no ports to make and no group policy to re-check, nothing happens between block device
  // mapping and spawning that anyone could see: the build goes straight to spawning, a conductor call less.
  const straightToSpawning = !needsPorts(args) && !groupHint(args.requestSpec);
  const firstState: InstanceUpdate = straightToSpawning
    ? { task_state: TaskState.SPAWNING, root_device_name: ROOT_DEVICE, network_info: '[]', config_drive: configDrive }
    : { task_state: TaskState.BLOCK_DEVICE_MAPPING, root_device_name: ROOT_DEVICE };

  // The first state change is also the check that the server still waits for its build here, and starts the build's event.
  let started: boolean;
  let event: ActionEventRef | null;
  try {
    ({ saved: started, event } = await deps.store.saveInstanceWithEvent(ctx, uuid, firstState, [null], {
      start: { event: 'compute__do_build_and_run_instance', host: deps.host },
    }, { vmState: VmState.BUILDING, host: deps.host }));
  } catch (err) {
    // The conductor did not answer (a lost reply, a bus reconnecting, the conductor down): the change
    // may or may not have been made. Failing the build like any other keeps the server from waiting
    // in BUILD; the failure itself is told to the conductor, so it is told again until one answers.
    await untilTheConductorAnswers(log, () => failBuild(deps, ctx, args, log, err, undefined));
    return;
  }
  if (!started) {
    await notStarted(deps, log, uuid);
    return;
  }

  await deps.notifier.info(ctx, 'instance.create.start', instancePayload(instance));
  let networkInfo: VifInfo[] | undefined;
  let networkAllocation: Promise<VifInfo[]> | undefined;
  try {
    await withStartedActionEvent(deps.store, event, async (success) => {
      await validateInstanceGroupPolicy(deps, uuid, groupHint(args.requestSpec));
      // Start the ports now; the driver is the first to need them.
      networkAllocation = allocateNetwork(deps, args, instance.project_id, instance.user_id);
      networkAllocation.catch(() => undefined); // observed below; never an unhandled rejection

      const blockDeviceInfo = {
        rootDeviceName: ROOT_DEVICE,
        devices: args.blockDeviceMappings.map((b, i) => ({
          deviceName: b.device_name ?? `/dev/vd${String.fromCharCode(97 + i)}`, sourceType: b.source_type,
          destinationType: b.destination_type, bootIndex: b.boot_index, size: b.volume_size,
        })),
      };

      networkInfo = await networkAllocation;
      if (!straightToSpawning) {
        await transition(deps, uuid, { task_state: TaskState.SPAWNING, network_info: JSON.stringify(networkInfo), config_drive: configDrive }, [TaskState.BLOCK_DEVICE_MAPPING]);
      }
      const driverInstance = toDriverInstance({ ...instance, root_device_name: ROOT_DEVICE, config_drive: configDrive }, args.requestSpec.image, deps.conf.DEFAULT.instance_name_template);
      await deps.driver.spawn({ instance: driverInstance, networkInfo, blockDeviceInfo, injectedFiles: args.injectedFiles });
      await wirePorts(deps, networkInfo.map((v) => v.id));
      const info = await deps.driver.getInfo(driverInstance);
      await transition(deps, uuid, {
        vm_state: VmState.ACTIVE, task_state: null, power_state: info.state, launched_at: new Date().toISOString(),
      }, [TaskState.SPAWNING], ctx, success);
    }, { finishesAction: true });
    await deps.notifier.info(ctx, 'instance.create.end', instancePayload({ ...instance, vm_state: VmState.ACTIVE, task_state: null, power_state: 1 }));
    log.info('instance built');
  } catch (err) {
    if (err instanceof BuildAbortedByDelete) {
      log.info('instance deleted during its build; the delete cleans up');
      return;
    }
    await failBuild(deps, ctx, args, log, err, networkAllocation);
  }
}

/**
 * The server no longer waits for this build. Deleted: what it held is given
 * back. Otherwise this is a build cast again (a conductor died after casting
 * it and another took its request over) for a server that this host already
 * built, or is building, or that failed or went elsewhere: whoever moved it on
 * owns its allocation, so the duplicate is dropped without touching anything.
 */
async function notStarted(deps: ComputeHostDeps, log: Logger, uuid: string): Promise<void> {
  const current = await deps.store.getInstance(uuid);
  if (current) {
    const { vm_state, task_state, host } = current.instance;
    log.info({ vm_state, task_state, host }, 'build cast again for an instance no longer waiting for it here; dropped');
    return;
  }
  log.info('instance was deleted before its build started; releasing its allocation');
  await deps.placement.deleteAllocations(uuid).catch(() => undefined);
}

/** How long a compute host keeps telling a failed build to a conductor that does not answer. */
const FAILURE_REPORT_DEADLINE_MS = 10 * 60_000;
const FAILURE_REPORT_RETRY_MS = 2_000;

async function untilTheConductorAnswers(log: Logger, report: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + FAILURE_REPORT_DEADLINE_MS;
  for (;;) {
    try {
      await report();
      return;
    } catch (err) {
      if (!(err instanceof RpcTimeout) || Date.now() > deadline) {
        log.error({ err }, 'the build failed and could not be recorded');
        return;
      }
      log.warn('no conductor answered the build\'s failure; telling it again');
      await sleep(FAILURE_REPORT_RETRY_MS);
    }
  }
}

/** A build that will not finish here: its leftovers released, then rescheduled to an alternate, or ERROR after the last. */
async function failBuild(
  deps: ComputeHostDeps, ctx: RequestContext, args: BuildAndRunInstanceArgs, log: Logger, err: unknown, networkAllocation: Promise<VifInfo[]> | undefined,
): Promise<void> {
  const instance = { ...args.instance, host: deps.host };
  await cleanupFailedBuild(deps, log, args, networkAllocation);
  const expected = err instanceof SpawnFailed || err instanceof GroupAffinityViolation;
  const reason = expected ? err.message : 'Unexpected error while building the server.';
  if (!expected) log.error({ err }, 'build failed');
  else log.warn({ reason }, 'build failed on this host');
  if (args.alternates.length > 0) {
    await reschedule(deps, ctx, args, reason);
  } else {
    await markBuildFailed(deps, ctx, instance, { code: 500, message: `Build of instance ${instance.uuid} aborted: ${reason}`, host: deps.host });
  }
}

function configDriveRequired(deps: ComputeHostDeps, requested: string, imageProperties: Record<string, string>): boolean {
  return requested === 'True' || deps.conf.DEFAULT.force_config_drive || imageProperties.img_config_drive === 'mandatory';
}

function needsPorts(args: BuildAndRunInstanceArgs): boolean {
  const { mode, objects } = args.requestedNetworks;
  return mode !== 'none' && objects.length > 0;
}

async function allocateNetwork(deps: ComputeHostDeps, args: BuildAndRunInstanceArgs, projectId: string, userId: string): Promise<VifInfo[]> {
  if (!needsPorts(args)) return [];
  const { objects } = args.requestedNetworks;
  const requested: RequestedNetwork[] = objects.map((o) => ({
    networkId: o.network_id ?? undefined, portId: o.port_id ?? undefined, fixedIp: o.address ?? undefined,
  }));
  return deps.network.allocateForInstance({
    instanceUuid: args.instance.uuid, projectId, userId, host: deps.host, requested, securityGroups: args.requestSpec.security_groups,
  });
}

/** A state change of the build; with an event step, that goes in the same call. */
async function transition(
  deps: ComputeHostDeps, uuid: string, values: InstanceUpdate, expected: Array<string | null>, ctx?: RequestContext, event?: EventStep,
): Promise<void> {
  const ok = ctx && event ? (await deps.store.saveInstanceWithEvent(ctx, uuid, values, expected, event)).saved : await deps.store.saveInstance(uuid, values, expected);
  if (!ok) throw new BuildAbortedByDelete();
}

async function cleanupFailedBuild(deps: ComputeHostDeps, log: Logger, args: BuildAndRunInstanceArgs, networkAllocation: Promise<VifInfo[]> | undefined): Promise<void> {
  const driverInstance = toDriverInstance(args.instance, args.requestSpec.image, deps.conf.DEFAULT.instance_name_template);
  // Ports still being made would escape a release that ran before they exist.
  if (networkAllocation) await networkAllocation.catch(() => undefined);
  await releaseBuildResources(deps, log, driverInstance, { releasePorts: networkAllocation !== undefined });
}

async function reschedule(deps: ComputeHostDeps, ctx: RequestContext, args: BuildAndRunInstanceArgs, reason: string): Promise<void> {
  const { uuid } = args.instance;
  // The conductor claims the alternate's allocation; this host's goes back first.
  await deps.placement.deleteAllocations(uuid).catch(() => undefined);
  const ok = await deps.store.saveInstance(uuid, { host: null, node: null, task_state: TaskState.SCHEDULING }, [
    null, TaskState.BLOCK_DEVICE_MAPPING, TaskState.SPAWNING,
  ]);
  if (!ok) return;
  await deps.conductor.rescheduleInstance(ctx, {
    instance: { ...args.instance, host: deps.host, task_state: TaskState.SCHEDULING }, requestSpec: args.requestSpec,
    requestedNetworks: args.requestedNetworks, blockDeviceMappings: args.blockDeviceMappings,
    alternates: args.alternates, reason, injectedFiles: args.injectedFiles,
  });
}
