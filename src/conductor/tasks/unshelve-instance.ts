/**
 * Nova's conductor unshelve_instance. A server still SHELVED on its host is
 * simply handed back to that host. An offloaded one is scheduled afresh (the
 * scheduler claims its allocation on the chosen host) — in the availability
 * zone or on the host the request named — and the chosen host spawns it. No
 * valid host leaves it SHELVED_OFFLOADED with no task, as Nova does.
 */
import { RemoteError } from '../../bus/rpc.js';
import { updateInstance } from '../../compute/instance-store.js';
import { TaskState, VmState } from '../../compute/vm-states.js';
import type { Instance } from '../../objects/index.js';
import { ConductorTask } from './base.js';
import { moveRequestSpec } from './move-spec.js';

export interface UnshelveInstanceArgs {
  instance: Instance;
  /** The zone to schedule in (the request's at 2.77+, else the server's); null for any. */
  availabilityZone: string | null;
  /** An administrator's chosen host (2.91). */
  host: string | null;
}

export class UnshelveInstanceTask extends ConductorTask<UnshelveInstanceArgs> {
  protected async execute(): Promise<void> {
    const { instance } = this.args;
    if (instance.vm_state === VmState.SHELVED && instance.host) {
      await this.deps.compute.unshelveInstance(this.ctx, instance.host, { instance, node: instance.node });
      return;
    }
    if (instance.vm_state !== VmState.SHELVED_OFFLOADED) {
      this.log.error({ instance: instance.uuid, vm_state: instance.vm_state }, 'unshelve of a server that is not shelved');
      await updateInstance(this.deps.db, instance.uuid, { vm_state: VmState.ERROR, task_state: null });
      return;
    }
    const spec = await moveRequestSpec(this.deps.db, instance, 'unshelve', { availabilityZone: this.args.availabilityZone, requestedHost: this.args.host });
    let dest;
    try {
      [[dest]] = await this.deps.scheduler.selectDestinations(this.ctx, { specObj: spec, instanceUuids: [instance.uuid], returnAlternates: false });
    } catch (err) {
      if (err instanceof RemoteError && err.remoteName === 'NoValidHost') {
        this.log.warn({ instance: instance.uuid }, 'no valid host found to unshelve the server');
        await updateInstance(this.deps.db, instance.uuid, { task_state: null }, [TaskState.UNSHELVING]);
        return;
      }
      throw err;
    }
    this.log.info({ instance: instance.uuid, dest: dest.service_host }, 'unshelve scheduled');
    await this.deps.compute.unshelveInstance(this.ctx, dest.service_host, { instance, node: dest.nodename });
  }

  protected async rollback(err: unknown): Promise<void> {
    this.log.warn({ err: (err as Error)?.message, instance: this.args.instance.uuid }, 'unshelve not started');
    await updateInstance(this.deps.db, this.args.instance.uuid, { task_state: null }, [TaskState.UNSHELVING]);
  }
}
