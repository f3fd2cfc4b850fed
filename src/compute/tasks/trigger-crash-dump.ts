/**
 * Nova's trigger_crash_dump on the host: an NMI to the guest. A driver that
 * cannot send one leaves the server as it was (with a fault); any other
 * failure sets it to ERROR, as Nova's _error_out_instance_on_exception does.
 */
import type { RequestContext } from '../../bus/context.js';
import type { Instance } from '../../objects/instance.js';
import { DriverNotSupported } from '../../virt/driver.js';
import { withActionEvent } from './action-event.js';
import { instancePayload } from '../notifications.js';
import { VmState } from '../vm-states.js';
import type { ComputeHostDeps } from './context.js';
import { driverInstanceFor } from './driver-for.js';

export async function triggerCrashDump(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance): Promise<void> {
  await deps.notifier.info(ctx, 'instance.trigger_crash_dump.start', instancePayload(instance));
  try {
    await withActionEvent(deps.store, ctx, instance.uuid, 'compute_trigger_crash_dump', deps.host, () => deps.driver.injectNmi(driverInstanceFor(deps, instance)));
    await deps.notifier.info(ctx, 'instance.trigger_crash_dump.end', instancePayload(instance));
  } catch (err) {
    deps.logger.warn({ err, instance: instance.uuid, request_id: ctx.requestId }, 'trigger_crash_dump failed');
    const unsupported = err instanceof DriverNotSupported;
    await deps.store.saveInstance(instance.uuid, unsupported ? { task_state: null } : { vm_state: VmState.ERROR, task_state: null });
    await deps.store.addInstanceFault(instance.uuid, {
      code: unsupported ? 400 : 500,
      message: unsupported ? 'Triggering a crash dump is not supported by the hypervisor of this server.' : 'Failed to trigger a crash dump of the server.',
      host: deps.host,
    });
  } finally {
    await deps.store.finishAction(ctx, instance.uuid);
  }
}
