/**
 * Instance actions and their events (os-instance-actions): every request that
 * acts on a server records an action, and each step of the work an event.
 */
import { nowIso } from '../db/schema-helpers.js';
import type { RequestContext } from '../bus/context.js';
import type { Insertable } from 'kysely';
import type { ComputeDb, InstanceActionsTable } from './db/tables.js';
import { eventFinisher, InstanceAction, runAsActionEvent, type ActionEventRef, type ActionEventResult, type FinishEvent } from './instance-action-kinds.js';

export { InstanceAction };

export async function recordActionStart(db: ComputeDb, ctx: RequestContext, instanceUuid: string, action: string): Promise<void> {
  await db.insertInto('instance_actions').values(actionStartRow(ctx, instanceUuid, action)).execute();
}

/** The row recordActionStart writes, for a caller that writes it along with others. */
export function actionStartRow(ctx: RequestContext, instanceUuid: string, action: string): Insertable<InstanceActionsTable> {
  return {
    action, instance_uuid: instanceUuid, request_id: ctx.requestId,
    user_id: ctx.userId ?? '', project_id: ctx.projectId ?? '', start_time: nowIso(),
    finish_time: null, message: null, updated_at: null,
  };
}

/** Records the start of an event of this request's action; null when the request recorded no action on the server. */
export async function insertActionEvent(
  db: ComputeDb, ctx: RequestContext, instanceUuid: string, event: string, host: string | null,
): Promise<ActionEventRef | null> {
  const now = nowIso();
  // One statement: the event row is made from the action row of this request, if there is one.
  const inserted = await db.insertInto('instance_actions_events')
    .columns(['action_id', 'event', 'start_time', 'host'])
    .expression((eb) => eb.selectFrom('instance_actions')
      .select((s) => [s.ref('id').as('action_id'), s.val(event).as('event'), s.val(now).as('start_time'), s.val(host).as('host')])
      .where('instance_uuid', '=', instanceUuid).where('request_id', '=', ctx.requestId)
      .orderBy('id', 'desc').limit(1))
    .returning(['id', 'action_id'])
    .executeTakeFirst();
  return inserted ? { eventId: inserted.id, actionId: inserted.action_id } : null;
}

/** Ends the event; an error marks its action too, and finishAction ends the action with it. */
export async function finishActionEvent(
  db: ComputeDb, ref: ActionEventRef, result: ActionEventResult, details: string | null, finishAction: boolean,
): Promise<void> {
  const finished = nowIso();
  await db.updateTable('instance_actions_events').set({ finish_time: finished, result, details })
    .where('id', '=', ref.eventId).execute();
  await db.updateTable('instance_actions').set({
    updated_at: finished, ...(result === 'Error' ? { message: 'Error' } : {}), ...(finishAction ? { finish_time: finished } : {}),
  }).where('id', '=', ref.actionId).execute();
}

/** Starts an event of the action of this request; returns a function that finishes it. */
export async function startActionEvent(
  db: ComputeDb, ctx: RequestContext, instanceUuid: string, event: string, host: string | null,
): Promise<FinishEvent> {
  const ref = await insertActionEvent(db, ctx, instanceUuid, event, host);
  return eventFinisher(ref, (...args) => finishActionEvent(db, ...args));
}

/** runAsActionEvent for a process that holds the database (the API, the conductor). */
export async function withActionEvent<T>(
  db: ComputeDb, ctx: RequestContext, instanceUuid: string, event: string, host: string | null, work: () => Promise<T>,
  opts: { finishesAction?: boolean } = {},
): Promise<T> {
  return runAsActionEvent(() => startActionEvent(db, ctx, instanceUuid, event, host), work, opts);
}

export async function finishAction(db: ComputeDb, ctx: RequestContext, instanceUuid: string): Promise<void> {
  await db.updateTable('instance_actions').set({ finish_time: nowIso() })
    .where('instance_uuid', '=', instanceUuid).where('request_id', '=', ctx.requestId).execute();
}
