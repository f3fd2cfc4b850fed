/** Instance actions and their events as os-instance-actions reads them. */
import { BadRequest } from '../errors.js';
import type { Selectable } from 'kysely';
import type { ComputeDb, InstanceActionEventsTable, InstanceActionsTable } from './db/tables.js';

export type ActionRow = Selectable<InstanceActionsTable>;
export type ActionEventRow = Selectable<InstanceActionEventsTable>;

export interface ActionListOptions {
  limit?: number;
  /** The request id of the last action of the previous page. */
  marker?: string;
  /** Only actions updated at or after this ISO time. */
  changesSince?: string;
}

/** A server's actions, newest first. */
export async function listActions(db: ComputeDb, instanceUuid: string, opts: ActionListOptions = {}): Promise<ActionRow[]> {
  let q = db.selectFrom('instance_actions').selectAll().where('instance_uuid', '=', instanceUuid).orderBy('start_time', 'desc').orderBy('id', 'desc');
  if (opts.limit !== undefined) q = q.limit(opts.limit);
  if (opts.marker) {
    const m = await db.selectFrom('instance_actions').select(['id']).where('instance_uuid', '=', instanceUuid).where('request_id', '=', opts.marker).executeTakeFirst();
    if (!m) throw new BadRequest(`Marker ${opts.marker} could not be found.`);
    q = q.where('id', '<', m.id);
  }
  if (opts.changesSince !== undefined) q = q.where('updated_at', '>=', opts.changesSince);
  return q.execute();
}

export function getAction(db: ComputeDb, instanceUuid: string, requestId: string): Promise<ActionRow | undefined> {
  return db.selectFrom('instance_actions').selectAll().where('instance_uuid', '=', instanceUuid).where('request_id', '=', requestId).executeTakeFirst();
}

export function actionEvents(db: ComputeDb, actionId: number): Promise<ActionEventRow[]> {
  return db.selectFrom('instance_actions_events').selectAll().where('action_id', '=', actionId).orderBy('id').execute();
}
