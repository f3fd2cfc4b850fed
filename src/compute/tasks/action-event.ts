import type { RequestContext } from '../../bus/context.js';
import { eventFinisher, runAsActionEvent, type ActionEventRef } from '../instance-action-kinds.js';
import type { ComputeHostStore, EventStep } from '../host-objects/port.js';

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

/**
 * withActionEvent for an event started with a state change
 * (saveInstanceWithEvent): `work` is given the step that records its success,
 * to send with its last state change in the same call; an error it throws
 * ends the event as Error.
 */
export async function withStartedActionEvent<T>(
  store: Pick<ComputeHostStore, 'finishActionEvent'>, ref: ActionEventRef | null, work: (success: EventStep) => Promise<T>,
  opts: { finishesAction?: boolean } = {},
): Promise<T> {
  const finish = eventFinisher(ref, (...args) => store.finishActionEvent(...args));
  try {
    return await work(ref ? { finish: { ref, result: 'Success', details: null, finishAction: opts.finishesAction ?? false } } : {});
  } catch (err) {
    await finish('Error', (err as Error)?.name);
    throw err;
  }
}

/**
 * withActionEvent whose success is recorded with the work's last state change
 * (`work` sends the step it is given with saveInstanceWithEvent): whoever sees
 * the server settle also sees its event finished.
 */
export async function withActionEventEndingInSave<T>(
  store: Pick<ComputeHostStore, 'startActionEvent' | 'finishActionEvent'>, ctx: RequestContext, instanceUuid: string, event: string, host: string | null,
  work: (success: EventStep) => Promise<T>, opts: { finishesAction?: boolean } = {},
): Promise<T> {
  return withStartedActionEvent(store, await store.startActionEvent(ctx, instanceUuid, event, host), work, opts);
}
