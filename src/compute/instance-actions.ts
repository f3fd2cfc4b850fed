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
  LOCK: 'lock', UNLOCK: 'unlock', RESET_STATE: 'resetState', CHANGE_PASSWORD: 'changePassword',
  RESTORE: 'restore', TRIGGER_CRASH_DUMP: 'trigger_crash_dump', REBUILD: 'rebuild',
  RESCUE: 'rescue', UNRESCUE: 'unrescue', CREATE_IMAGE: 'createImage', BACKUP: 'createBackup',
  RESIZE: 'resize', MIGRATE: 'migrate', CONFIRM_RESIZE: 'confirmResize', REVERT_RESIZE: 'revertResize',
  SHELVE: 'shelve', SHELVE_OFFLOAD: 'shelveOffload', UNSHELVE: 'unshelve',
  ATTACH_INTERFACE: 'attach_interface', DETACH_INTERFACE: 'detach_interface',
  LIVE_MIGRATION: 'live-migration', LIVE_MIGRATION_FORCE_COMPLETE: 'live_migration_force_complete',
  LIVE_MIGRATION_CANCEL: 'live_migration_cancel', EVACUATE: 'evacuate',
} as const;

export async function recordActionStart(db: ComputeDb, ctx: RequestContext, instanceUuid: string, action: string): Promise<void> {
  await db.insertInto('instance_actions').values({
    action, instance_uuid: instanceUuid, request_id: ctx.requestId,
    user_id: ctx.userId ?? '', project_id: ctx.projectId ?? '', start_time: nowIso(),
    finish_time: null, message: null, updated_at: null,
  }).execute();
}

/** Starts an event of the action of this request; returns a function that finishes it. */
export async function startActionEvent(
  db: ComputeDb, ctx: RequestContext, instanceUuid: string, event: string, host: string | null,
): Promise<(result: 'Success' | 'Error', details?: string, opts?: { finishAction?: boolean }) => Promise<void>> {
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
  if (!inserted) return async () => undefined;
  return async (result, details, opts = {}) => {
    const finished = nowIso();
    await db.updateTable('instance_actions_events').set({ finish_time: finished, result, details: details ?? null })
      .where('id', '=', inserted.id).execute();
    await db.updateTable('instance_actions').set({
      updated_at: finished, ...(result === 'Error' ? { message: 'Error' } : {}), ...(opts.finishAction ? { finish_time: finished } : {}),
    }).where('id', '=', inserted.action_id).execute();
  };
}

/**
 * Runs `work` as an event of the action: Success or Error recorded either way.
 * With finishesAction, a success also marks the whole action finished.
 */
export async function withActionEvent<T>(
  db: ComputeDb, ctx: RequestContext, instanceUuid: string, event: string, host: string | null, work: () => Promise<T>,
  opts: { finishesAction?: boolean } = {},
): Promise<T> {
  const finish = await startActionEvent(db, ctx, instanceUuid, event, host);
  try {
    const out = await work();
    await finish('Success', undefined, { finishAction: opts.finishesAction });
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
