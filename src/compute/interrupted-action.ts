/**
 * The instance action a restart cut short. Recovery records what it does on
 * that action (same request id), so `os-instance-actions` shows the user how
 * the request ended instead of an action that never finishes.
 */
import { nowIso } from '../db/schema-helpers.js';
import { internalContext, type RequestContext } from '../bus/context.js';
import { newRequestId } from '../bus/context.js';
import { startActionEvent } from './instance-actions.js';
import type { ComputeDb } from './db/tables.js';

/** Stored as the event's details, where a failed step records its error's name. */
export const INTERRUPTED_DETAILS = 'InterruptedByRestart';

export interface InterruptedAction {
  /** Carries the action's request id; with no unfinished action, a fresh one. */
  ctx: RequestContext;
  action: string | null;
}

/** The newest unfinished action of the server. */
export async function findInterruptedAction(db: ComputeDb, instanceUuid: string): Promise<InterruptedAction> {
  const row = await db.selectFrom('instance_actions').select(['request_id', 'action', 'user_id', 'project_id'])
    .where('instance_uuid', '=', instanceUuid).where('finish_time', 'is', null)
    .orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (!row) return { ctx: internalContext(newRequestId()), action: null };
  return {
    ctx: { ...internalContext(row.request_id), userId: row.user_id || null, projectId: row.project_id || null },
    action: row.action,
  };
}

/**
 * Ends the events the restart left open as errors. When the action had none
 * open (the step had not started, e.g. a lost cast), records `event` as failed
 * so the action still shows which step did not happen.
 */
export async function failInterruptedEvents(
  db: ComputeDb, ctx: RequestContext, instanceUuid: string, fallback: { event: string; host: string | null } | null,
): Promise<void> {
  const now = nowIso();
  const action = await db.selectFrom('instance_actions').select('id')
    .where('instance_uuid', '=', instanceUuid).where('request_id', '=', ctx.requestId)
    .orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (!action) return;
  const res = await db.updateTable('instance_actions_events').set({ finish_time: now, result: 'Error', details: INTERRUPTED_DETAILS })
    .where('action_id', '=', action.id).where('finish_time', 'is', null).executeTakeFirst();
  if (Number(res.numUpdatedRows) > 0) {
    await db.updateTable('instance_actions').set({ message: 'Error', updated_at: now }).where('id', '=', action.id).execute();
    return;
  }
  if (!fallback) return;
  const finish = await startActionEvent(db, ctx, instanceUuid, fallback.event, fallback.host);
  await finish('Error', INTERRUPTED_DETAILS);
}
