/**
 * Nova's set_admin_password on the host. It is an RPC call: the API answers
 * with what happened here (202, 409 when the guest cannot take a password now,
 * 501 when the driver cannot set one at all).
 */
import type { RequestContext } from '../../bus/context.js';
import type { Instance } from '../../objects/instance.js';
import { DriverNotSupported, InvalidPowerState, PowerState } from '../../virt/driver.js';
import { withActionEvent } from './action-event.js';
import { TaskState } from '../vm-states.js';
import type { ComputeHostDeps } from './context.js';
import { driverInstanceFor } from './driver-for.js';

/** The guest could not take the password; the message is safe to show (Nova's InstancePasswordSetFailed). */
export class InstancePasswordSetFailed extends Error {
  constructor(uuid: string, reason: string) {
    super(`Failed to set admin password on ${uuid} because ${reason}`);
    this.name = 'InstancePasswordSetFailed';
  }
}

export async function setAdminPassword(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance, password: string): Promise<void> {
  const driverInstance = driverInstanceFor(deps, instance);
  const clearTask = () => deps.store.saveInstance(instance.uuid, { task_state: null }, [TaskState.UPDATING_PASSWORD]);
  try {
    await withActionEvent(deps.store, ctx, instance.uuid, 'compute_set_admin_password', deps.host, async () => {
      const { state } = await deps.driver.getInfo(driverInstance);
      if (state !== PowerState.RUNNING) throw new InstancePasswordSetFailed(instance.uuid, `instance ${instance.uuid} is not running`);
      try {
        await deps.driver.setAdminPassword(driverInstance, password);
      } catch (err) {
        if (err instanceof InvalidPowerState) throw new InstancePasswordSetFailed(instance.uuid, 'the guest is not running');
        throw err;
      }
    });
  } catch (err) {
    await clearTask();
    if (err instanceof DriverNotSupported || err instanceof InstancePasswordSetFailed) throw err;
    deps.logger.warn({ err, instance: instance.uuid, request_id: ctx.requestId }, 'setting the admin password failed');
    throw new InstancePasswordSetFailed(instance.uuid, 'the hypervisor refused it');
  } finally {
    await deps.store.finishAction(ctx, instance.uuid);
  }
  await clearTask();
}
