/**
 * saveInstanceWithEvent on the database. On PostgreSQL it is one statement:
 * the instance's update, and the event's insert (or its and its action's
 * updates) as data-modifying WITH queries that apply only when the update
 * did. The conductor makes this write for every step of every build, and a
 * statement's round trip (building it, the socket write, the backend's
 * commit) is most of what such a step costs it. SQLite's WITH cannot modify,
 * so there the same operations run one after another.
 */
import { sql } from 'kysely';
import type { RequestContext } from '../../bus/context.js';
import { isPostgres, nowIso } from '../../db/schema-helpers.js';
import type { ComputeDb } from '../db/tables.js';
import { instanceUpdateQuery, updateInstance } from '../instance-store.js';
import { finishActionEvent, insertActionEvent } from '../instance-actions.js';
import type { ActionEventRef, EventStep, InstanceUpdate, SaveGuard } from './port.js';

export interface SavedWithEvent {
  saved: boolean;
  event: ActionEventRef | null;
}

export async function saveInstanceWithEvent(
  db: ComputeDb, ctx: RequestContext, uuid: string, values: InstanceUpdate, expectedTaskState: Array<string | null> | undefined, event: EventStep,
  guard?: SaveGuard,
): Promise<SavedWithEvent> {
  if (!isPostgres(db) || (!event.start && !event.finish)) return oneAfterAnother(db, ctx, uuid, values, expectedTaskState, event, guard);
  const save = instanceUpdateQuery(db, uuid, values, expectedTaskState, guard).returning('uuid');
  const now = nowIso();
  if (event.start) {
    const { rows } = await sql<{ saved: string; event_id: number | null; action_id: number | null }>`
      with saved as (${save}),
      started as (
        insert into instance_actions_events (action_id, event, start_time, host)
        select a.id, ${event.start.event}, ${now}, ${event.start.host} from instance_actions a join saved on a.instance_uuid = saved.uuid
        where a.request_id = ${ctx.requestId} order by a.id desc limit 1
        returning id, action_id)
      select (select count(*) from saved) as saved, (select id from started) as event_id, (select action_id from started) as action_id`.execute(db);
    const [row] = rows;
    return { saved: Number(row.saved) > 0, event: row.event_id === null ? null : { eventId: row.event_id, actionId: row.action_id! } };
  }
  const { ref, result, details, finishAction } = event.finish!;
  // As finishActionEvent: an error marks the action; finishAction ends it.
  const actionSet = [sql`updated_at = ${now}`];
  if (result === 'Error') actionSet.push(sql`message = ${'Error'}`);
  if (finishAction) actionSet.push(sql`finish_time = ${now}`);
  const { rows } = await sql<{ saved: string }>`
    with saved as (${save}),
    finished as (
      update instance_actions_events set finish_time = ${now}, result = ${result}, details = ${details}
      where id = ${ref.eventId} and exists (select 1 from saved) returning action_id),
    action as (update instance_actions set ${sql.join(actionSet)} where id = ${ref.actionId} and exists (select 1 from finished) returning id)
    select count(*) as saved from saved`.execute(db);
  const saved = Number(rows[0].saved) > 0;
  return { saved, event: saved ? ref : null };
}

async function oneAfterAnother(
  db: ComputeDb, ctx: RequestContext, uuid: string, values: InstanceUpdate, expectedTaskState: Array<string | null> | undefined, event: EventStep,
  guard?: SaveGuard,
): Promise<SavedWithEvent> {
  const saved = await updateInstance(db, uuid, values, expectedTaskState, guard);
  if (!saved) return { saved, event: null };
  if (event.start) return { saved, event: await insertActionEvent(db, ctx, uuid, event.start.event, event.start.host) };
  if (!event.finish) return { saved, event: null };
  const { ref, result, details, finishAction } = event.finish;
  await finishActionEvent(db, ref, result, details, finishAction);
  return { saved, event: ref };
}
