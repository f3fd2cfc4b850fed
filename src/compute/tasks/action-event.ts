import type { RequestContext } from '../../bus/context.js';
import { eventFinisher, runAsActionEvent } from '../instance-action-kinds.js';
import type { ComputeHostStore } from '../host-objects/port.js';

/**
 * Runs `work` as an event of the request's action, recorded through the
 * host's store: Success or Error either way; with finishesAction, a success
 * also finishes the action (Nova's wrap_instance_event).
 */
export function withActionEvent<T>(
  store: Pick<ComputeHostStore, 'startActionEvent' | 'finishActionEvent'>, ctx: RequestContext, instanceUuid: string, event: string, host: string | null,
  work: () => Promise<T>, opts: { finishesAction?: boolean } = {},
): Promise<T> {
  const start = async () => eventFinisher(await store.startActionEvent(ctx, instanceUuid, event, host), (...args) => store.finishActionEvent(...args));
  return runAsActionEvent(start, work, opts);
}
