/**
 * Instance actions and their events (os-instance-actions): every request that
 * acts on a server records an action, and each step of the work an event.
 */
import { nowIso } from '../db/schema-helpers.js';
import type { RequestContext } from '../bus/context.js';
import type { ComputeDb } from './db/tables.js';

export const InstanceAction = {
  CREATE: 'create', DELETE: 'delete', REBOOT: 'reboot', STOP: 'stop', START: 'start',
  PAUSE: 'pause', UNPAUSE: 'unpause', SUSPEND: 'suspend', RESUME: 'resume', UPDATE: 'update',
} as const;

export async function recordActionStart(db: ComputeDb, ctx: RequestContext, instanceUuid: string, action: string): Promise<void> {
  await db.insertInto('instance_actions').values({
    action, instance_uuid: instanceUuid, request_id: ctx.requestId,
    user_id: ctx.userId ?? '', project_id: ctx.projectId ?? '', start_time: nowIso(),
    finish_time: null, message: null, updated_at: null,
  }).execute();
}

async function actionId(db: ComputeDb, instanceUuid: string, requestId: string): Promise<number | undefined> {
  const row = await db.selectFrom('instance_actions').select('id')
    .where('instance_uuid', '=', instanceUuid).where('request_id', '=', requestId)
    .orderBy('id', 'desc').executeTakeFirst();
  return row?.id;
}

/** Starts an event of the action of this request; returns a function that finishes it. */
export async function startActionEvent(
  db: ComputeDb, ctx: RequestContext, instanceUuid: string, event: string, host: string | null,
): Promise<(result: 'Success' | 'Error', details?: string) => Promise<void>> {
  const id = await actionId(db, instanceUuid, ctx.requestId);
  if (id === undefined) return async () => undefined;
  const inserted = await db.insertInto('instance_actions_events').values({
    action_id: id, event, start_time: nowIso(), finish_time: null, result: null,
    traceback: null, host, details: null,
  }).returning('id').executeTakeFirstOrThrow();
  return async (result, details) => {
    const now = nowIso();
    await db.updateTable('instance_actions_events').set({ finish_time: now, result, details: details ?? null })
      .where('id', '=', inserted.id).execute();
    await db.updateTable('instance_actions').set({ updated_at: now, ...(result === 'Error' ? { message: 'Error' } : {}) })
      .where('id', '=', id).execute();
  };
}

/** Runs `work` as an event of the action: Success or Error recorded either way. */
export async function withActionEvent<T>(
  db: ComputeDb, ctx: RequestContext, instanceUuid: string, event: string, host: string | null, work: () => Promise<T>,
): Promise<T> {
  const finish = await startActionEvent(db, ctx, instanceUuid, event, host);
  try {
    const out = await work();
    await finish('Success');
    return out;
  } catch (err) {
    await finish('Error', (err as Error)?.name);
    throw err;
  }
}

export async function finishAction(db: ComputeDb, ctx: RequestContext, instanceUuid: string): Promise<void> {
  await db.updateTable('instance_actions').set({ finish_time: nowIso() })
    .where('instance_uuid', '=', instanceUuid).where('request_id', '=', ctx.requestId).execute();
}
