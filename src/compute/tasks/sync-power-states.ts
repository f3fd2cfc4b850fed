/**
 * Nova's _sync_power_states and _sync_instance_power_state: the hypervisor is
 * the truth for power_state. A guest that stopped by itself shows SHUTOFF
 * (vm_state stopped), as in Nova. The periodic task syncs every guest on the
 * host; a lifecycle event from the driver syncs the one guest it names.
 */
import type { RequestContext } from '../../bus/context.js';
import { InstanceNotFoundOnHost, PowerState } from '../../virt/driver.js';
import { instanceFromRow, updateInstance, type InstanceRow } from '../instance-store.js';
import { toDriverInstance } from '../driver-instance.js';
import { VmState } from '../vm-states.js';
import type { ComputeHostDeps } from './context.js';
import { imageMetaForInstance } from './image-meta.js';

export async function syncPowerStates(deps: ComputeHostDeps, _ctx: RequestContext): Promise<void> {
  const rows = await deps.db.selectFrom('instances').selectAll()
    .where('host', '=', deps.host).where('deleted', '=', 0).where('task_state', 'is', null).execute();
  for (const row of rows) await syncRow(deps, row);
}

/** One guest, after the driver reported a change (Nova's handle_lifecycle_event). */
export async function syncInstancePowerState(deps: ComputeHostDeps, uuid: string): Promise<void> {
  const row = await deps.db.selectFrom('instances').selectAll()
    .where('uuid', '=', uuid).where('host', '=', deps.host).where('deleted', '=', 0).where('task_state', 'is', null).executeTakeFirst();
  if (row) await syncRow(deps, row);
}

async function syncRow(deps: ComputeHostDeps, row: InstanceRow): Promise<void> {
  if (row.vm_state === VmState.BUILDING || row.vm_state === VmState.ERROR) return;
  // The driver reads the guest's state by uuid; metadata plays no part.
  const instance = instanceFromRow(row, {});
  let state: number;
  try {
    state = (await deps.driver.getInfo(toDriverInstance(instance, imageMetaForInstance(instance), deps.conf.DEFAULT.instance_name_template))).state;
  } catch (err) {
    if (!(err instanceof InstanceNotFoundOnHost)) throw err;
    state = PowerState.NOSTATE;
  }
  if (state === row.power_state) return;
  const values: Parameters<typeof updateInstance>[2] = { power_state: state };
  if (row.vm_state === VmState.ACTIVE && (state === PowerState.SHUTDOWN || state === PowerState.NOSTATE)) values.vm_state = VmState.STOPPED;
  // Only while no operation is under way: a stop or reboot in flight owns the record.
  await updateInstance(deps.db, row.uuid, values, [null]);
}
