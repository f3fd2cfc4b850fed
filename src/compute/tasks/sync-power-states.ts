/**
 * Nova's _sync_power_states and _sync_instance_power_state: the hypervisor is
 * the truth for power_state. A guest that stopped by itself shows SHUTOFF
 * (vm_state stopped), as in Nova. The periodic task syncs every guest on the
 * host; a lifecycle event from the driver syncs the one guest it names.
 */
import type { RequestContext } from '../../bus/context.js';
import { InstanceNotFoundOnHost, PowerState } from '../../virt/driver.js';
import type { Instance } from '../../objects/instance.js';
import { toDriverInstance } from '../driver-instance.js';
import { VmState } from '../vm-states.js';
import type { InstanceUpdate } from '../host-objects/port.js';
import type { ComputeHostDeps } from './context.js';
import { imageMetaForInstance } from './image-meta.js';

export async function syncPowerStates(deps: ComputeHostDeps, _ctx: RequestContext): Promise<void> {
  for (const instance of await deps.store.listInstancesOnHost(deps.host, { idle: true })) await syncOne(deps, instance);
}

/** One guest, after the driver reported a change (Nova's handle_lifecycle_event). */
export async function syncInstancePowerState(deps: ComputeHostDeps, uuid: string): Promise<void> {
  const instance = (await deps.store.getInstance(uuid))?.instance;
  if (instance && instance.host === deps.host && instance.task_state === null) await syncOne(deps, instance);
}

async function syncOne(deps: ComputeHostDeps, instance: Instance): Promise<void> {
  if (instance.vm_state === VmState.BUILDING || instance.vm_state === VmState.ERROR) return;
  let state: number;
  try {
    state = (await deps.driver.getInfo(toDriverInstance(instance, imageMetaForInstance(instance), deps.conf.DEFAULT.instance_name_template))).state;
  } catch (err) {
    if (!(err instanceof InstanceNotFoundOnHost)) throw err;
    state = PowerState.NOSTATE;
  }
  if (state === instance.power_state) return;
  const values: InstanceUpdate = { power_state: state };
  if (instance.vm_state === VmState.ACTIVE && (state === PowerState.SHUTDOWN || state === PowerState.NOSTATE)) values.vm_state = VmState.STOPPED;
  // Only while no operation is under way: a stop or reboot in flight owns the record.
  await deps.store.saveInstance(instance.uuid, values, [null]);
}
