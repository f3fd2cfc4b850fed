/**
 * Reading and writing servers' rows. Every caller that needs an Instance
 * object gets it from here, so the row layout stays in one place.
 */
import { sql, type Selectable } from 'kysely';
import { nowIso } from '../db/schema-helpers.js';
import { InstanceNotFound } from './instance-not-found.js';
import type { Flavor } from '../objects/flavor.js';
import type { Instance } from '../objects/instance.js';
import type { ComputeDb, InstancesTable } from './db/tables.js';
import type { SaveGuard } from './host-objects/port.js';
import { deleteConsoleTokensForInstance } from '../console/auth-tokens.js';

export type InstanceRow = Selectable<InstancesTable>;

export { InstanceNotFound };

/** The live instance of that uuid; with readDeleted, a deleted one too (the newest row). */
export async function getInstanceRow(db: ComputeDb, uuid: string, opts: { readDeleted?: boolean } = {}): Promise<InstanceRow> {
  let q = db.selectFrom('instances').selectAll().where('uuid', '=', uuid);
  q = opts.readDeleted ? q.orderBy('deleted').orderBy('id', 'desc') : q.where('deleted', '=', 0);
  const row = await q.executeTakeFirst();
  if (!row) throw new InstanceNotFound(uuid);
  return row;
}

/** The host of each live instance among `uuids` (null while it has none); absent ones are not in the map. */
export async function liveInstanceHosts(db: ComputeDb, uuids: readonly string[]): Promise<Map<string, string | null>> {
  if (uuids.length === 0) return new Map();
  const rows = await db.selectFrom('instances').select(['uuid', 'host']).where('uuid', 'in', [...uuids]).where('deleted', '=', 0).execute();
  return new Map(rows.map((r) => [r.uuid, r.host]));
}

export async function getMetadata(db: ComputeDb, uuids: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  if (uuids.length === 0) return out;
  for (let i = 0; i < uuids.length; i += 5000) {
    const rows = await db.selectFrom('instance_metadata').selectAll().where('instance_uuid', 'in', uuids.slice(i, i + 5000)).execute();
    for (const r of rows) {
      let md = out.get(r.instance_uuid);
      if (!md) out.set(r.instance_uuid, (md = {}));
      md[r.key] = r.value;
    }
  }
  return out;
}

/** Which of a host's live servers to list (Nova's InstanceList.get_by_filters with host). */
export interface HostInstanceFilter {
  vmState?: string;
  /** Only those with no task under way (task_state null). */
  idle?: boolean;
  /** Only those whose deleted_at (a soft delete's time) is at or before this ISO time. */
  deletedAtOrBefore?: string;
}

export async function instanceRowsOnHost(db: ComputeDb, host: string, f: HostInstanceFilter = {}): Promise<InstanceRow[]> {
  let q = db.selectFrom('instances').selectAll().where('host', '=', host).where('deleted', '=', 0);
  if (f.vmState !== undefined) q = q.where('vm_state', '=', f.vmState);
  if (f.idle) q = q.where('task_state', 'is', null);
  if (f.deletedAtOrBefore !== undefined) q = q.where('deleted_at', '<=', f.deletedAtOrBefore);
  return q.orderBy('id').execute();
}

export function instanceFromRow(row: InstanceRow, metadata: Record<string, string>): Instance {
  return {
    id: row.id, uuid: row.uuid, project_id: row.project_id, user_id: row.user_id,
    display_name: row.display_name, hostname: row.hostname, host: row.host, node: row.node,
    availability_zone: row.availability_zone, vm_state: row.vm_state, task_state: row.task_state,
    power_state: row.power_state, image_ref: row.image_ref, flavor: JSON.parse(row.flavor) as Flavor,
    key_name: row.key_name, key_data: row.key_data, user_data: row.user_data, config_drive: row.config_drive,
    launch_index: row.launch_index, reservation_id: row.reservation_id, root_device_name: row.root_device_name,
    metadata, created_at: row.created_at,
  };
}

export type InstanceUpdate = Partial<Omit<InstanceRow, 'id' | 'uuid' | 'created_at' | 'version'>>;

/**
 * Updates a live instance. With `expectedTaskState`, only when task_state still
 * is one of those (Nova's expected_task_state): false when it was not.
 */
export async function updateInstance(
  db: ComputeDb, uuid: string, values: InstanceUpdate, expectedTaskState?: Array<string | null>, guard?: SaveGuard,
): Promise<boolean> {
  const res = await instanceUpdateQuery(db, uuid, values, expectedTaskState, guard).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** updateInstance's statement, not yet run: for a statement that does more in the same round trip. */
export function instanceUpdateQuery(
  db: ComputeDb, uuid: string, values: InstanceUpdate, expectedTaskState?: Array<string | null>, guard: SaveGuard = {},
) {
  let q = db.updateTable('instances').set({ ...values, updated_at: nowIso(), version: sql<number>`version + 1` }).where('uuid', '=', uuid).where('deleted', '=', 0);
  if (guard.vmState !== undefined) q = q.where('vm_state', '=', guard.vmState);
  if (guard.host !== undefined) q = q.where('host', '=', guard.host);
  if (expectedTaskState) {
    const nonNull = expectedTaskState.filter((s): s is string => s !== null);
    const allowNull = expectedTaskState.includes(null);
    q = q.where((eb) => {
      const ors = [];
      if (nonNull.length > 0) ors.push(eb('task_state', 'in', nonNull));
      if (allowNull) ors.push(eb('task_state', 'is', null));
      return eb.or(ors);
    });
  }
  return q;
}

/** Nova's soft delete: the row stays, marked deleted with its own id. */
export async function markInstanceDeleted(db: ComputeDb, uuid: string): Promise<void> {
  const now = nowIso();
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('instances').select(['id']).where('uuid', '=', uuid).where('deleted', '=', 0).executeTakeFirst();
    if (!row) return;
    await trx.updateTable('instances').set({
      deleted: row.id, deleted_at: now, terminated_at: now, updated_at: now,
      vm_state: 'deleted', task_state: null, power_state: 0,
    }).where('id', '=', row.id).execute();
    await trx.deleteFrom('instance_metadata').where('instance_uuid', '=', uuid).execute();
    await trx.updateTable('block_device_mapping').set({ deleted: 1 }).where('instance_uuid', '=', uuid).execute();
    await trx.deleteFrom('request_specs').where('instance_uuid', '=', uuid).execute();
    // As Nova's instance_destroy: a deleted server has no tags and is no longer a group member.
    await trx.deleteFrom('tags').where('resource_id', '=', uuid).execute();
    await trx.deleteFrom('instance_group_member').where('instance_uuid', '=', uuid).execute();
    await trx.deleteFrom('instance_system_metadata').where('instance_uuid', '=', uuid).execute();
    // Nova's _complete_deletion: no console URL outlives its server.
    await deleteConsoleTokensForInstance(trx, uuid);
  });
}

/** Records why an instance failed; the message is what users see in `fault`. */
export async function addInstanceFault(db: ComputeDb, uuid: string, fault: { code: number; message: string; details?: string; host?: string | null }): Promise<void> {
  await db.insertInto('instance_faults').values({
    instance_uuid: uuid, code: fault.code, message: fault.message.slice(0, 255),
    details: fault.details ?? '', host: fault.host ?? null, created_at: nowIso(),
  }).execute();
  await touchInstance(db, uuid);
}

/** Marks the server changed (its views are re-rendered) without changing a column of its own. */
export async function touchInstance(db: ComputeDb, uuid: string): Promise<void> {
  await updateInstance(db, uuid, {});
}

/** Replaces a server's metadata with `metadata` (a rebuild's, which takes the place of the old). */
export async function replaceMetadata(db: ComputeDb, uuid: string, metadata: Record<string, string>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('instance_metadata').where('instance_uuid', '=', uuid).execute();
    const rows = Object.entries(metadata).map(([key, value]) => ({ instance_uuid: uuid, key, value }));
    if (rows.length > 0) await trx.insertInto('instance_metadata').values(rows).execute();
  });
  await touchInstance(db, uuid);
}

/** Removes one metadata item of a server; whether it existed is the caller's to know. */
export async function deleteMetadataItem(db: ComputeDb, uuid: string, key: string): Promise<void> {
  await db.deleteFrom('instance_metadata').where('instance_uuid', '=', uuid).where('key', '=', key).execute();
  await touchInstance(db, uuid);
}
