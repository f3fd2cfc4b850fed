/**
 * Deleting a server on its host: the guest, its ports and its allocation go,
 * then the row is soft-deleted (its quota is free from that moment).
 */
import type { RequestContext } from '../../bus/context.js';
import type { Instance } from '../../objects/instance.js';
import { withActionEvent } from './action-event.js';
import { instancePayload } from '../notifications.js';
import { toDriverInstance } from '../driver-instance.js';
import { InstanceNotFoundOnHost } from '../../virt/driver.js';
import type { ComputeHostDeps } from './context.js';
import { imageMetaForInstance } from './image-meta.js';
import { unwireInstancePorts } from './port-wiring.js';

export async function terminateInstance(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance): Promise<void> {
  const log = deps.logger.child({ request_id: ctx.requestId, instance: instance.uuid });
  await deps.notifier.info(ctx, 'instance.delete.start', instancePayload(instance));
  await withActionEvent(deps.store, ctx, instance.uuid, 'compute_terminate_instance', deps.host, async () => {
    const driverInstance = toDriverInstance(instance, imageMetaForInstance(instance), deps.conf.DEFAULT.instance_name_template);
    try {
      await deps.driver.destroy(driverInstance, []);
    } catch (err) {
      if (!(err instanceof InstanceNotFoundOnHost)) throw err;
    }
    await unwireInstancePorts(deps, instance.uuid);
    await deps.network.deallocateForInstance(instance.uuid);
    await deps.placement.deleteAllocations(instance.uuid);
  }, { finishesAction: true });
  await deps.store.destroyInstance(instance.uuid);
  await deps.notifier.info(ctx, 'instance.delete.end', instancePayload({ ...instance, vm_state: 'deleted', task_state: null }));
  log.info('instance deleted');
}
