/**
 * Deferred delete on the host (Nova's soft_delete_instance, restore_instance
 * and _reclaim_queued_deletes). A soft-deleted server keeps its guest (powered
 * off), ports and allocation until it is restored or reclaimed.
 */
import type { RequestContext } from '../../bus/context.js';
import type { Instance } from '../../objects/instance.js';
import { withActionEvent } from './action-event.js';
import { instancePayload } from '../notifications.js';
import { TaskState, VmState } from '../vm-states.js';
import type { ComputeHostDeps } from './context.js';
import { driverInstanceFor } from './driver-for.js';
import { terminateInstance } from './terminate-instance.js';
import { wireInstancePorts } from './port-wiring.js';

export async function softDeleteInstance(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance): Promise<void> {
  await deps.notifier.info(ctx, 'instance.soft_delete.start', instancePayload(instance));
  const driverInstance = driverInstanceFor(deps, instance);
  try {
    await withActionEvent(deps.store, ctx, instance.uuid, 'compute_soft_delete_instance', deps.host, () => deps.driver.powerOff(driverInstance));
    const { state } = await deps.driver.getInfo(driverInstance);
    const done = { vm_state: VmState.SOFT_DELETED, task_state: null, power_state: state };
    await deps.store.saveInstance(instance.uuid, done, [TaskState.SOFT_DELETING]);
    await deps.notifier.info(ctx, 'instance.soft_delete.end', instancePayload({ ...instance, ...done }));
  } catch (err) {
    deps.logger.warn({ err, instance: instance.uuid, request_id: ctx.requestId }, 'soft delete failed');
    await deps.store.saveInstance(instance.uuid, { task_state: null, deleted_at: null });
    await deps.store.addInstanceFault(instance.uuid, { code: 500, message: 'Failed to soft-delete the server.', host: deps.host });
  } finally {
    await deps.store.finishAction(ctx, instance.uuid);
  }
}

export async function restoreInstance(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance): Promise<void> {
  await deps.notifier.info(ctx, 'instance.restore.start', instancePayload(instance));
  const driverInstance = driverInstanceFor(deps, instance);
  try {
    await withActionEvent(deps.store, ctx, instance.uuid, 'compute_restore_instance', deps.host, async () => {
      await deps.driver.powerOn(driverInstance);
      await wireInstancePorts(deps, instance.uuid);
    });
    const { state } = await deps.driver.getInfo(driverInstance);
    const done = { vm_state: VmState.ACTIVE, task_state: null, power_state: state };
    await deps.store.saveInstance(instance.uuid, done, [TaskState.RESTORING]);
    await deps.notifier.info(ctx, 'instance.restore.end', instancePayload({ ...instance, ...done }));
  } catch (err) {
    // The guest did not come back: it stays soft-deleted (and reclaimable), with a fault saying why.
    deps.logger.warn({ err, instance: instance.uuid, request_id: ctx.requestId }, 'restore failed');
    await deps.store.saveInstance(instance.uuid, { task_state: null, deleted_at: new Date().toISOString() });
    await deps.store.addInstanceFault(instance.uuid, { code: 500, message: 'Failed to restore the server.', host: deps.host });
  } finally {
    await deps.store.finishAction(ctx, instance.uuid);
  }
}

/**
 * Deletes this host's servers soft-deleted longer than
 * reclaim_instance_interval ago. Each goes through `runLocked`, in turn with
 * a restore that may have been asked for in the meantime.
 */
export async function reclaimQueuedDeletes(
  deps: ComputeHostDeps, ctx: RequestContext, runLocked: (uuid: string, work: () => Promise<void>) => Promise<void>,
): Promise<void> {
  const interval = deps.conf.DEFAULT.reclaim_instance_interval;
  if (interval <= 0) return;
  const cutoff = new Date(Date.now() - interval * 1000).toISOString();
  const due = await deps.store.listInstancesOnHost(deps.host, { vmState: VmState.SOFT_DELETED, idle: true, deletedAtOrBefore: cutoff });
  for (const { uuid } of due) {
    await runLocked(uuid, async () => {
      const instance = (await deps.store.getInstance(uuid))?.instance;
      if (!instance || instance.vm_state !== VmState.SOFT_DELETED || instance.task_state !== null) return;
      // Claimed only while still idle: a restore asked for in the meantime wins.
      if (!(await deps.store.saveInstance(uuid, { task_state: TaskState.DELETING }, [null]))) return;
      deps.logger.info({ instance: uuid, request_id: ctx.requestId }, 'reclaiming a soft-deleted server');
      await terminateInstance(deps, ctx, { ...instance, task_state: TaskState.DELETING });
    }).catch((err) => deps.logger.error({ err, instance: uuid }, 'could not reclaim a soft-deleted server'));
  }
}
