/**
 * Nova's rescue_instance and unrescue_instance on the host. A rescue that
 * fails (a driver without rescue included) puts the task state back and
 * records a fault; the server keeps its vm_state, as Nova's reverts_task_state
 * and wrap_instance_fault leave it.
 */
import type { RequestContext } from '../../bus/context.js';
import type { ImageMeta } from '../../objects/image-meta.js';
import type { Instance } from '../../objects/instance.js';
import { DriverNotSupported } from '../../virt/driver.js';
import { withActionEvent } from './action-event.js';
import { instancePayload } from '../notifications.js';
import { TaskState, VmState } from '../vm-states.js';
import type { ComputeHostDeps } from './context.js';
import { driverInstanceFor } from './driver-for.js';
import { wireInstancePorts } from './port-wiring.js';

export async function rescueInstance(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance, rescueImage: ImageMeta, adminPass: string): Promise<void> {
  const driverInstance = driverInstanceFor(deps, instance);
  await deps.notifier.info(ctx, 'instance.rescue.start', instancePayload(instance));
  try {
    await withActionEvent(deps.store, ctx, instance.uuid, 'compute_rescue_instance', deps.host, async () => {
      await deps.driver.rescue(driverInstance, rescueImage, adminPass);
      await wireInstancePorts(deps, instance.uuid);
    });
    const { state } = await deps.driver.getInfo(driverInstance);
    const done = { vm_state: VmState.RESCUED, task_state: null, power_state: state, launched_at: new Date().toISOString() };
    await deps.store.saveInstance(instance.uuid, done, [TaskState.RESCUING]);
    await deps.notifier.info(ctx, 'instance.rescue.end', instancePayload({ ...instance, ...done }));
  } catch (err) {
    await failed(deps, ctx, instance, err, 'rescue');
  } finally {
    await deps.store.finishAction(ctx, instance.uuid);
  }
}

export async function unrescueInstance(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance): Promise<void> {
  const driverInstance = driverInstanceFor(deps, instance);
  await deps.notifier.info(ctx, 'instance.unrescue.start', instancePayload(instance));
  try {
    await withActionEvent(deps.store, ctx, instance.uuid, 'compute_unrescue_instance', deps.host, async () => {
      await deps.driver.unrescue(driverInstance);
      await wireInstancePorts(deps, instance.uuid);
    });
    const { state } = await deps.driver.getInfo(driverInstance);
    const done = { vm_state: VmState.ACTIVE, task_state: null, power_state: state };
    await deps.store.saveInstance(instance.uuid, done, [TaskState.UNRESCUING]);
    await deps.notifier.info(ctx, 'instance.unrescue.end', instancePayload({ ...instance, ...done }));
  } catch (err) {
    await failed(deps, ctx, instance, err, 'unrescue');
  } finally {
    await deps.store.finishAction(ctx, instance.uuid);
  }
}

async function failed(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance, err: unknown, what: string): Promise<void> {
  deps.logger.warn({ err, instance: instance.uuid, request_id: ctx.requestId }, `${what} failed`);
  const unsupported = err instanceof DriverNotSupported;
  await deps.store.saveInstance(instance.uuid, { task_state: null });
  await deps.store.addInstanceFault(instance.uuid, {
    code: unsupported ? 501 : 500,
    message: unsupported ? `The ${what} operation is not implemented by the hypervisor of this server.` : `Failed to ${what} the server.`,
    host: deps.host,
  });
}
