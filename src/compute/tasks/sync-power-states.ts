/**
 * Nova's _sync_power_states: the hypervisor is the truth for power_state. A
 * guest that stopped by itself shows SHUTOFF (vm_state stopped), as in Nova.
 */
import type { RequestContext } from '../../bus/context.js';
import { InstanceNotFoundOnHost, PowerState } from '../../virt/driver.js';
import { getMetadata, instanceFromRow, updateInstance } from '../instance-store.js';
import { toDriverInstance } from '../driver-instance.js';
import { VmState } from '../vm-states.js';
import type { ComputeHostDeps } from './context.js';
import { imageMetaForInstance } from './image-meta.js';

export async function syncPowerStates(deps: ComputeHostDeps, _ctx: RequestContext): Promise<void> {
  const rows = await deps.db.selectFrom('instances').selectAll()
    .where('host', '=', deps.host).where('deleted', '=', 0).where('task_state', 'is', null).execute();
  const md = await getMetadata(deps.db, []);
  for (const row of rows) {
    if (row.vm_state === VmState.BUILDING || row.vm_state === VmState.ERROR) continue;
    const instance = instanceFromRow(row, md.get(row.uuid) ?? {});
    let state: number;
    try {
      state = (await deps.driver.getInfo(toDriverInstance(instance, imageMetaForInstance(instance), deps.conf.DEFAULT.instance_name_template))).state;
    } catch (err) {
      if (!(err instanceof InstanceNotFoundOnHost)) throw err;
      state = PowerState.NOSTATE;
    }
    if (state === row.power_state) continue;
    const values: Parameters<typeof updateInstance>[2] = { power_state: state };
    if (row.vm_state === VmState.ACTIVE && (state === PowerState.SHUTDOWN || state === PowerState.NOSTATE)) values.vm_state = VmState.STOPPED;
    await updateInstance(deps.db, row.uuid, values, [null]);
  }
}
