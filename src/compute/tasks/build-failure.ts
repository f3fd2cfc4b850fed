/**
 * Putting a server that could not be built into ERROR with a fault users can
 * read (never raw exception text), and giving back what it held — on a
 * compute host, through its store.
 */
import type { Logger } from 'pino';
import type { RequestContext } from '../../bus/context.js';
import type { Notifier } from '../../bus/notifier.js';
import type { NetworkClient, PlacementClient } from '../clients.js';
import type { ComputeHostStore } from '../host-objects/port.js';
import { VmState } from '../vm-states.js';
import type { Instance } from '../../objects/instance.js';
import type { DriverInstance, VirtDriver } from '../../virt/driver.js';
import { instancePayload } from '../notifications.js';

export interface BuildFault { code: number; message: string; host?: string | null }

export async function markBuildFailed(
  deps: { store: Pick<ComputeHostStore, 'saveInstance' | 'addInstanceFault' | 'finishAction'>; placement: PlacementClient; notifier: Notifier; logger: Logger },
  ctx: RequestContext, instance: Instance, fault: BuildFault,
): Promise<void> {
  // As Nova orders it: whoever sees ERROR sees its fault, and nothing held for it any more.
  await deps.store.addInstanceFault(instance.uuid, { code: fault.code, message: fault.message, host: fault.host ?? null });
  await deps.placement.deleteAllocations(instance.uuid).catch((err) => deps.logger.warn({ err, instance: instance.uuid }, 'could not delete allocations'));
  // Nova's _nil_out_instance_obj_host_and_node: the allocation is given back, so the server is on no host
  // any more (its fault keeps where it failed); deleting it then needs no host that may be gone.
  const updated = await deps.store.saveInstance(instance.uuid, { vm_state: VmState.ERROR, task_state: null, host: null, node: null, launched_on: null });
  if (!updated) return; // deleted meanwhile: nothing to mark
  await deps.store.finishAction(ctx, instance.uuid);
  await deps.notifier.error(ctx, 'instance.create.error', instancePayload({ ...instance, vm_state: VmState.ERROR, task_state: null }, { fault: fault.message }));
}

/**
 * What a build that will not finish leaves on its host: the guest (if spawn got
 * that far) and the ports. Each step is tried on its own, so one failure does
 * not keep the others from being released.
 */
export async function releaseBuildResources(
  deps: { store: Pick<ComputeHostStore, 'saveInstance'>; driver: VirtDriver; network: Pick<NetworkClient, 'deallocateForInstance'> },
  log: Logger, driverInstance: DriverInstance, opts: { releasePorts: boolean },
): Promise<void> {
  await deps.driver.destroy(driverInstance, []).catch((err) => log.warn({ err }, 'could not destroy the failed guest'));
  if (opts.releasePorts) {
    await deps.network.deallocateForInstance(driverInstance.uuid).catch((err) => log.warn({ err }, 'could not release the ports'));
  }
  await deps.store.saveInstance(driverInstance.uuid, { network_info: '[]' });
}
