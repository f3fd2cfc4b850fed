/**
 * Nova's shelve_instance and shelve_offload_instance on the host. Shelving
 * powers the guest off and uploads its disk to the image the API made
 * (shelving → shelving_image_pending_upload → shelving_image_uploading), then
 * the server is SHELVED, its image, time and host kept in system metadata.
 * With [DEFAULT] shelved_offload_time = 0 it is offloaded in the same task:
 * the guest goes, the host's allocation is released, and the server is
 * SHELVED_OFFLOADED with no host. A positive offload time leaves that to the
 * periodic pollShelvedInstances.
 */
import { Readable } from 'node:stream';
import type { RequestContext } from '../../bus/context.js';
import { internalContext } from '../../bus/context.js';
import { newRequestId } from '../../bus/context.js';
import type { Instance } from '../../objects/instance.js';
import { InstanceNotFoundOnHost, PowerState, type PowerStateValue } from '../../virt/driver.js';
import { withActionEvent } from './action-event.js';
import { InstanceAction } from '../instance-action-kinds.js';
import { instancePayload } from '../notifications.js';
import { TaskState, VmState } from '../vm-states.js';
import type { ComputeHostDeps } from './context.js';
import { driverInstanceFor } from './driver-for.js';
import { networkInfoOf } from './network-info.js';
import { authFor } from './snapshot-instance.js';
import { unwirePorts } from './port-wiring.js';

/** System metadata keys a shelved server carries until it is unshelved. */
export const SHELVED_KEYS = ['shelved_at', 'shelved_image_id', 'shelved_host'] as const;

export async function shelveInstance(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance, imageId: string): Promise<void> {
  const log = deps.logger.child({ request_id: ctx.requestId, instance: instance.uuid, image: imageId });
  const offload = deps.conf.DEFAULT.shelved_offload_time === 0;
  const step = async (to: string, from: string) => {
    if (!(await deps.store.saveInstance(instance.uuid, { task_state: to }, [from]))) throw new Error(`task_state is no longer ${from}`);
  };
  let shelved: Instance | undefined;
  await deps.notifier.info(ctx, 'instance.shelve.start', instancePayload(instance));
  try {
    await withActionEvent(deps.store, ctx, instance.uuid, 'compute_shelve_instance', deps.host, async () => {
      if (!deps.images) throw new Error('this compute host has no image service to upload to');
      const driverInstance = driverInstanceFor(deps, instance);
      await powerOffIfRunning(deps, instance);
      const snap = await deps.driver.snapshot(driverInstance);
      await step(TaskState.SHELVING_IMAGE_PENDING_UPLOAD, TaskState.SHELVING);
      await step(TaskState.SHELVING_IMAGE_UPLOADING, TaskState.SHELVING_IMAGE_PENDING_UPLOAD);
      await deps.images.uploadImageData(imageId, Readable.from([snap.data]), authFor(ctx), { contentLength: snap.data.length });
      await deps.store.setSystemMetadata(instance.uuid, { shelved_at: new Date().toISOString(), shelved_image_id: imageId, shelved_host: deps.host });
      const { state } = await deps.driver.getInfo(driverInstance);
      const done = { vm_state: VmState.SHELVED, task_state: offload ? TaskState.SHELVING_OFFLOADING : null, power_state: state };
      if (!(await deps.store.saveInstance(instance.uuid, done, [TaskState.SHELVING_IMAGE_UPLOADING]))) throw new Error('task_state is no longer shelving_image_uploading');
      shelved = { ...instance, ...done };
    });
  } catch (err) {
    log.warn({ err }, 'shelve failed');
    await deps.store.saveInstance(instance.uuid, { task_state: null });
    await deps.images?.deleteImage(imageId, authFor(ctx)).catch((e) => log.warn({ err: e }, 'could not delete the image of a failed shelve'));
    await deps.store.addInstanceFault(instance.uuid, { code: 500, message: 'Failed to shelve the server.', host: deps.host });
    await deps.store.finishAction(ctx, instance.uuid);
    return;
  }
  await deps.notifier.info(ctx, 'instance.shelve.end', instancePayload(shelved!));
  if (offload) {
    // The same request goes on: its action gets the offload as a second event.
    await shelveOffloadInstance(deps, ctx, shelved!);
    return;
  }
  await deps.store.finishAction(ctx, instance.uuid);
}

/** The guest leaves this host; what it held here is released; the server waits SHELVED_OFFLOADED with no host. */
export async function shelveOffloadInstance(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance): Promise<void> {
  const log = deps.logger.child({ request_id: ctx.requestId, instance: instance.uuid });
  await deps.notifier.info(ctx, 'instance.shelve_offload.start', instancePayload(instance));
  let done: { vm_state: string; task_state: null; power_state: number; host?: string | null; node?: string | null } | undefined;
  try {
    await withActionEvent(deps.store, ctx, instance.uuid, 'compute_shelve_offload_instance', deps.host, async () => {
      const driverInstance = driverInstanceFor(deps, instance);
      const powerState = await powerOffIfRunning(deps, instance);
      const vifs = await networkInfoOf(deps, instance.uuid);
      await deps.driver.destroy(driverInstance, vifs);
      await unwirePorts(deps, vifs.map((v) => v.id));
      await deps.placement.deleteAllocations(instance.uuid);
      done = { vm_state: VmState.SHELVED_OFFLOADED, task_state: null, power_state: powerState, host: null, node: null };
      const ok = await deps.store.saveInstance(instance.uuid, done, [TaskState.SHELVING, TaskState.SHELVING_OFFLOADING]);
      if (!ok) throw new Error('task_state is no longer shelving_offloading');
    });
    await deps.notifier.info(ctx, 'instance.shelve_offload.end', instancePayload({ ...instance, ...done }));
    log.info('shelved server offloaded');
  } catch (err) {
    log.warn({ err }, 'shelve offload failed');
    await deps.store.saveInstance(instance.uuid, { task_state: null }, [TaskState.SHELVING, TaskState.SHELVING_OFFLOADING]);
    await deps.store.addInstanceFault(instance.uuid, { code: 500, message: 'Failed to offload the shelved server.', host: deps.host });
  } finally {
    await deps.store.finishAction(ctx, instance.uuid);
  }
}

/**
 * Nova's _poll_shelved_instances: servers of this host SHELVED longer than
 * shelved_offload_time are offloaded, each under a request of its own.
 */
export async function pollShelvedInstances(deps: ComputeHostDeps, offload: (instance: Instance, ctx: RequestContext) => void): Promise<void> {
  const after = deps.conf.DEFAULT.shelved_offload_time;
  if (after <= 0) return;
  const shelved = await deps.store.listInstancesOnHost(deps.host, { vmState: VmState.SHELVED, idle: true });
  for (const instance of shelved) {
    const shelvedAt = Date.parse((await deps.store.getInstance(instance.uuid))?.systemMetadata.shelved_at ?? '');
    if (Number.isNaN(shelvedAt) || Date.now() - shelvedAt < after * 1000) continue;
    if (!(await deps.store.saveInstance(instance.uuid, { task_state: TaskState.SHELVING_OFFLOADING }, [null]))) continue;
    // The offload is recorded as Nova's periodic task records it: an action of the server's own project.
    const ctx = { ...internalContext(newRequestId()), projectId: instance.project_id, userId: instance.user_id };
    await deps.store.startAction(ctx, instance.uuid, InstanceAction.SHELVE_OFFLOAD);
    deps.logger.info({ instance: instance.uuid }, 'offloading a server shelved longer than shelved_offload_time');
    offload({ ...instance, task_state: TaskState.SHELVING_OFFLOADING }, ctx);
  }
}

/** Powers the guest off unless it is off already; answers its power state afterwards (NOSTATE when it is gone). */
async function powerOffIfRunning(deps: ComputeHostDeps, instance: Instance): Promise<PowerStateValue> {
  const driverInstance = driverInstanceFor(deps, instance);
  try {
    const { state } = await deps.driver.getInfo(driverInstance);
    if (state !== PowerState.SHUTDOWN) await deps.driver.powerOff(driverInstance);
    return (await deps.driver.getInfo(driverInstance)).state;
  } catch (err) {
    if (err instanceof InstanceNotFoundOnHost) return PowerState.NOSTATE;
    throw err;
  }
}
