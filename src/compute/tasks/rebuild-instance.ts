/**
 * Nova's rebuild_instance on the same host, by its default implementation
 * for drivers without a rebuild of their own: destroy the guest, spawn it
 * again from the new image with the same ports. The server passes through
 * rebuilding → rebuild_block_device_mapping → rebuild_spawning; one that was
 * stopped is stopped again afterwards, as Nova does.
 */
import type { InjectedFile } from '../../virt/driver.js';
import type { RequestContext } from '../../bus/context.js';
import type { ImageMeta } from '../../objects/image-meta.js';
import type { Instance } from '../../objects/instance.js';
import { SpawnFailed } from '../../virt/driver.js';
import { toDriverInstance } from '../driver-instance.js';
import { withActionEventEndingInSave } from './action-event.js';
import { instancePayload } from '../notifications.js';
import { TaskState, VmState } from '../vm-states.js';
import type { InstanceUpdate } from '../host-objects/port.js';
import type { ComputeHostDeps } from './context.js';
import { networkInfoOf } from './network-info.js';
import { wirePorts } from './port-wiring.js';

const ROOT_DEVICE = '/dev/vda';

/** The server was deleted while it was rebuilt; the delete cleans up. */
class RebuildAbortedByDelete extends Error {}

export async function rebuildInstance(
  deps: ComputeHostDeps, ctx: RequestContext, instance: Instance, image: ImageMeta, opts: { origVmState: string; injectedFiles?: InjectedFile[] },
): Promise<void> {
  const log = deps.logger.child({ request_id: ctx.requestId, instance: instance.uuid });
  const step = async (values: InstanceUpdate, from: string) => {
    if (!(await deps.store.saveInstance(instance.uuid, values, [from]))) throw new RebuildAbortedByDelete();
  };
  await deps.notifier.info(ctx, 'instance.rebuild.start', instancePayload(instance));
  try {
    const final = await withActionEventEndingInSave(deps.store, ctx, instance.uuid, 'compute_rebuild_instance', deps.host, async (success) => {
      const networkInfo = await networkInfoOf(deps, instance.uuid);
      const driverInstance = toDriverInstance({ ...instance, root_device_name: ROOT_DEVICE }, image, deps.conf.DEFAULT.instance_name_template);
      await step({ task_state: TaskState.REBUILD_BLOCK_DEVICE_MAPPING }, TaskState.REBUILDING);
      await step({ task_state: TaskState.REBUILD_SPAWNING }, TaskState.REBUILD_BLOCK_DEVICE_MAPPING);
      await deps.driver.destroy(driverInstance, networkInfo);
      await deps.driver.spawn({
        instance: driverInstance, networkInfo, injectedFiles: opts.injectedFiles,
        blockDeviceInfo: { rootDeviceName: ROOT_DEVICE, devices: [{ deviceName: ROOT_DEVICE, sourceType: 'image', destinationType: 'local', bootIndex: 0, size: null }] },
      });
      await wirePorts(deps, networkInfo.map((v) => v.id));
      if (opts.origVmState === VmState.STOPPED) await deps.driver.powerOff(driverInstance);
      const { state } = await deps.driver.getInfo(driverInstance);
      const done = {
        vm_state: opts.origVmState === VmState.STOPPED ? VmState.STOPPED : VmState.ACTIVE,
        task_state: null, power_state: state, launched_at: new Date().toISOString(),
      };
      // With its event's end, in one call: a server seen ACTIVE again has its rebuild event finished.
      if (!(await deps.store.saveInstanceWithEvent(ctx, instance.uuid, done, [TaskState.REBUILD_SPAWNING], success)).saved) throw new RebuildAbortedByDelete();
      return done;
    }, { finishesAction: true });
    await deps.notifier.info(ctx, 'instance.rebuild.end', instancePayload({ ...instance, ...final }));
  } catch (err) {
    if (err instanceof RebuildAbortedByDelete) {
      log.info('server deleted during its rebuild');
      return;
    }
    const reason = err instanceof SpawnFailed ? err.message : 'Unexpected error while rebuilding the server.';
    log.warn({ err }, 'rebuild failed');
    await deps.store.saveInstance(instance.uuid, { vm_state: VmState.ERROR, task_state: null });
    await deps.store.addInstanceFault(instance.uuid, { code: 500, message: `Rebuild of instance ${instance.uuid} failed: ${reason}`, host: deps.host });
    await deps.notifier.error(ctx, 'instance.rebuild.error', instancePayload({ ...instance, vm_state: VmState.ERROR, task_state: null }));
    await deps.store.finishAction(ctx, instance.uuid);
  }
}
