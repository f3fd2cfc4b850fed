/**
 * Nova's unshelve_instance on the host. A server still SHELVED here has its
 * guest: it is powered on again. An offloaded one was scheduled to this host
 * by the conductor (which claimed its allocation): the guest is spawned from
 * the shelved image (task_state spawning). Either way the shelved image is
 * deleted and the shelve keys leave the system metadata. A spawn that fails
 * leaves the server SHELVED_OFFLOADED with no host and no allocation, and a
 * fault, as Nova does; a shelved image that is gone puts it in ERROR.
 */
import type { RequestContext } from '../../bus/context.js';
import type { Instance } from '../../objects/instance.js';
import { NotFound } from '../../errors.js';
import { toDriverInstance } from '../driver-instance.js';
import { withActionEventEndingInSave } from './action-event.js';
import { instancePayload } from '../notifications.js';
import { TaskState, VmState } from '../vm-states.js';
import type { ComputeHostDeps } from './context.js';
import { driverInstanceFor } from './driver-for.js';
import { SHELVED_KEYS } from './shelve-instance.js';
import { authFor } from './snapshot-instance.js';
import { wireInstancePorts, wirePorts } from './port-wiring.js';

class ShelvedImageGone extends Error {}

export async function unshelveInstance(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance, node: string | null): Promise<void> {
  const log = deps.logger.child({ request_id: ctx.requestId, instance: instance.uuid });
  const imageId = (await deps.store.getInstance(instance.uuid))?.systemMetadata.shelved_image_id;
  const offloaded = instance.vm_state === VmState.SHELVED_OFFLOADED;
  let done: { vm_state: string; task_state: null; power_state: number; host?: string | null; node?: string | null } | undefined;
  await deps.notifier.info(ctx, 'instance.unshelve.start', instancePayload(instance));
  try {
    // The server's last save ends the event too: whoever sees it ACTIVE sees the unshelve finished.
    await withActionEventEndingInSave(deps.store, ctx, instance.uuid, 'compute_unshelve_instance', deps.host, async (success) => {
      if (!offloaded) {
        const driverInstance = driverInstanceFor(deps, instance);
        await deps.store.saveInstance(instance.uuid, { task_state: TaskState.POWERING_ON }, [TaskState.UNSHELVING]);
        await deps.driver.powerOn(driverInstance);
        await wireInstancePorts(deps, instance.uuid);
        done = { vm_state: VmState.ACTIVE, task_state: null, power_state: (await deps.driver.getInfo(driverInstance)).state };
        if (!(await deps.store.saveInstanceWithEvent(ctx, instance.uuid, done, [TaskState.POWERING_ON], success)).saved) throw new Error('task_state is no longer powering-on');
        return;
      }
      const here = { host: deps.host, node: node ?? deps.host, launched_on: deps.host };
      if (!(await deps.store.saveInstance(instance.uuid, { task_state: TaskState.SPAWNING, ...here }, [TaskState.UNSHELVING]))) {
        throw new Error('task_state is no longer unshelving');
      }
      if (!deps.images || !imageId) throw new ShelvedImageGone();
      const image = await deps.images.getImage(imageId, authFor(ctx)).catch((err) => {
        throw err instanceof NotFound ? new ShelvedImageGone() : err;
      });
      const record = await deps.store.getInstance(instance.uuid);
      const networkInfo = record?.networkInfo ?? [];
      const rootDeviceName = record?.instance.root_device_name ?? '/dev/vda';
      const meta = {
        id: image.id, name: image.name, disk_format: image.disk_format, container_format: image.container_format,
        size: image.size, min_disk: image.min_disk ?? 0, min_ram: image.min_ram ?? 0, properties: {},
      };
      // Nova's setup_instance_network_on_host: the ports are bound where the server comes back.
      await deps.network.bindInstancePorts(instance.uuid, deps.host);
      const driverInstance = toDriverInstance({ ...instance, ...here }, meta, deps.conf.DEFAULT.instance_name_template);
      await deps.driver.spawn({ instance: driverInstance, networkInfo, blockDeviceInfo: { rootDeviceName, devices: [] } });
      await wirePorts(deps, networkInfo.map((v) => v.id));
      done = { vm_state: VmState.ACTIVE, task_state: null, power_state: (await deps.driver.getInfo(driverInstance)).state, ...here };
      if (!(await deps.store.saveInstanceWithEvent(ctx, instance.uuid, done, [TaskState.SPAWNING], success)).saved) throw new Error('task_state is no longer spawning');
    });
  } catch (err) {
    await unshelveFailed(deps, ctx, instance, err, offloaded);
    await deps.store.finishAction(ctx, instance.uuid);
    return;
  }
  // As Nova's _unshelve_instance: the shelve keys go before the image, so a server whose image is gone no longer points at it.
  await deps.store.removeSystemMetadata(instance.uuid, [...SHELVED_KEYS]);
  if (imageId) {
    await deps.images?.deleteImage(imageId, authFor(ctx)).catch((err) => log.warn({ err, image: imageId }, 'could not delete the image of an unshelved server'));
  }
  await deps.store.finishAction(ctx, instance.uuid);
  await deps.notifier.info(ctx, 'instance.unshelve.end', instancePayload({ ...instance, ...done }));
  log.info('server unshelved');
}

async function unshelveFailed(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance, err: unknown, offloaded: boolean): Promise<void> {
  deps.logger.warn({ err, instance: instance.uuid, request_id: ctx.requestId }, 'unshelve failed');
  if (err instanceof ShelvedImageGone) {
    await deps.placement.deleteAllocations(instance.uuid).catch(() => undefined);
    await deps.store.saveInstance(instance.uuid, { vm_state: VmState.ERROR, task_state: null, host: null, node: null });
    await deps.store.addInstanceFault(instance.uuid, { code: 404, message: 'Unshelve attempted but the shelved image cannot be found.', host: deps.host });
    return;
  }
  if (offloaded) {
    // Nothing stays here: the guest (if any), the claim and the host go, and the server waits offloaded again.
    await deps.driver.destroy(driverInstanceFor(deps, { ...instance, host: deps.host }), []).catch(() => undefined);
    await deps.placement.deleteAllocations(instance.uuid).catch(() => undefined);
    await deps.store.saveInstance(instance.uuid, { task_state: null, host: null, node: null });
  } else {
    await deps.store.saveInstance(instance.uuid, { task_state: null });
  }
  await deps.store.addInstanceFault(instance.uuid, { code: 500, message: 'Failed to unshelve the server.', host: deps.host });
}
