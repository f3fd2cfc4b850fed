/**
 * Nova's _check_instance_build_time: a server this host has held in BUILD for
 * longer than [DEFAULT] instance_build_timeout goes to ERROR, so a build that
 * hangs (a hypervisor that never answers) does not stay in BUILD for ever.
 * Only a server still in the task it had when read is touched: a build that
 * finishes meanwhile wins.
 */
import type { RequestContext } from '../../bus/context.js';
import { VmState } from '../vm-states.js';
import type { ComputeHostDeps } from './context.js';

export async function checkInstanceBuildTime(deps: ComputeHostDeps, ctx: RequestContext, timeoutS: number, now = Date.now()): Promise<number> {
  let timedOut = 0;
  for (const instance of await deps.store.listInstancesOnHost(deps.host, { vmState: VmState.BUILDING })) {
    if (now - Date.parse(instance.created_at) < timeoutS * 1000) continue;
    if (!(await deps.store.saveInstance(instance.uuid, { vm_state: VmState.ERROR, task_state: null }, [instance.task_state]))) continue;
    await deps.store.addInstanceFault(instance.uuid, { code: 500, message: 'Instance build timed out. Set to error state.', host: deps.host });
    await deps.store.finishAction(ctx, instance.uuid);
    deps.logger.warn({ request_id: ctx.requestId, instance: instance.uuid, timeout_s: timeoutS }, 'build timed out; the server is set to ERROR');
    timedOut++;
  }
  return timedOut;
}
