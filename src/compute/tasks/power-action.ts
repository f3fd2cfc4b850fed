/**
 * Power actions on a host (stop, start, reboot, pause, unpause, suspend,
 * resume): call the driver, then record the vm_state and power_state it left.
 */
import type { RequestContext } from '../../bus/context.js';
import type { Instance } from '../../objects/instance.js';
import type { DriverInstance, VirtDriver } from '../../virt/driver.js';
import { withActionEvent } from './action-event.js';
import { toDriverInstance } from '../driver-instance.js';
import { instancePayload } from '../notifications.js';
import { VmState } from '../vm-states.js';
import type { ComputeHostDeps } from './context.js';
import { imageMetaForInstance } from './image-meta.js';
import { wireInstancePorts } from './port-wiring.js';

interface PowerActionSpec {
  event: string;
  notification: string;
  run(driver: VirtDriver, instance: DriverInstance, extra: Record<string, unknown>): Promise<void>;
  vmState: string;
  /** The driver makes the guest's taps again (a power-on, a reboot, a resume): the L2 agent wires them at once. */
  rewires?: boolean;
}

export const POWER_ACTIONS: Record<string, PowerActionSpec> = {
  stop: { event: 'compute_stop_instance', notification: 'instance.power_off', run: (d, i) => d.powerOff(i), vmState: VmState.STOPPED },
  start: { event: 'compute_start_instance', notification: 'instance.power_on', run: (d, i) => d.powerOn(i), vmState: VmState.ACTIVE, rewires: true },
  reboot: {
    event: 'compute_reboot_instance', notification: 'instance.reboot',
    run: (d, i, extra) => d.reboot(i, extra.reboot_type === 'HARD' ? 'HARD' : 'SOFT'), vmState: VmState.ACTIVE, rewires: true,
  },
  pause: { event: 'compute_pause_instance', notification: 'instance.pause', run: (d, i) => d.pause(i), vmState: VmState.PAUSED },
  unpause: { event: 'compute_unpause_instance', notification: 'instance.unpause', run: (d, i) => d.unpause(i), vmState: VmState.ACTIVE },
  suspend: { event: 'compute_suspend_instance', notification: 'instance.suspend', run: (d, i) => d.suspend(i), vmState: VmState.SUSPENDED },
  resume: { event: 'compute_resume_instance', notification: 'instance.resume', run: (d, i) => d.resume(i), vmState: VmState.ACTIVE, rewires: true },
};

export async function runPowerAction(deps: ComputeHostDeps, ctx: RequestContext, action: string, instance: Instance, extra: Record<string, unknown>): Promise<void> {
  const spec = POWER_ACTIONS[action];
  const log = deps.logger.child({ request_id: ctx.requestId, instance: instance.uuid });
  if (!spec) {
    log.error({ action }, 'unknown power action');
    return;
  }
  const driverInstance = toDriverInstance(instance, imageMetaForInstance(instance), deps.conf.DEFAULT.instance_name_template);
  await deps.notifier.info(ctx, `${spec.notification}.start`, instancePayload(instance));
  try {
    await withActionEvent(deps.store, ctx, instance.uuid, spec.event, deps.host, () => spec.run(deps.driver, driverInstance, extra));
    if (spec.rewires) await wireInstancePorts(deps, instance.uuid);
    const info = await deps.driver.getInfo(driverInstance);
    await deps.store.saveInstance(instance.uuid, { vm_state: spec.vmState, task_state: null, power_state: info.state });
    await deps.notifier.info(ctx, `${spec.notification}.end`, instancePayload({ ...instance, vm_state: spec.vmState, task_state: null, power_state: info.state }));
  } catch (err) {
    // Nova reverts the task_state and records a fault; the server keeps its vm_state.
    log.warn({ err, action }, 'power action failed');
    const info = await deps.driver.getInfo(driverInstance).catch(() => undefined);
    await deps.store.saveInstance(instance.uuid, { task_state: null, ...(info ? { power_state: info.state } : {}) });
    await deps.store.addInstanceFault(instance.uuid, { code: 500, message: `Failed to ${action} the server.`, host: deps.host });
  } finally {
    await deps.store.finishAction(ctx, instance.uuid);
  }
}
