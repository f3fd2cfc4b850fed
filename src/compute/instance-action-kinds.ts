/**
 * What instance actions and their events are, apart from where they are
 * kept: the action names os-instance-actions shows, and how a step of work
 * is recorded as an event (by the API and conductor on the database, by a
 * compute host through its store).
 */

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

/** An event row and the action it belongs to: what finishing the event needs. */
export interface ActionEventRef {
  eventId: number;
  actionId: number;
}

export type ActionEventResult = 'Success' | 'Error';

export type FinishEvent = (result: ActionEventResult, details?: string, opts?: { finishAction?: boolean }) => Promise<void>;

/** The FinishEvent of an event `start` made; one that does nothing when none was made. */
export function eventFinisher(
  ref: ActionEventRef | null, finish: (ref: ActionEventRef, result: ActionEventResult, details: string | null, finishAction: boolean) => Promise<void>,
): FinishEvent {
  if (!ref) return async () => undefined;
  return (result, details, opts = {}) => finish(ref, result, details ?? null, opts.finishAction ?? false);
}

/**
 * Runs `work` as an event (started by `start`): Success or Error recorded
 * either way. With finishesAction, a success also marks the whole action finished.
 */
export async function runAsActionEvent<T>(start: () => Promise<FinishEvent>, work: () => Promise<T>, opts: { finishesAction?: boolean } = {}): Promise<T> {
  const finish = await start();
  try {
    const out = await work();
    await finish('Success', undefined, { finishAction: opts.finishesAction });
    return out;
  } catch (err) {
    await finish('Error', (err as Error)?.name);
    throw err;
  }
}
