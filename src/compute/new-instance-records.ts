/**
 * The records a server create writes for each new server: its row, metadata,
 * block device mapping, request spec and the start of its "create" action.
 * On PostgreSQL they go in one statement of data-modifying CTEs, which
 * matters because the create holds the project's quota lock while it writes
 * (each round trip keeps every other create of the project waiting); SQLite
 * runs in process, where a statement per table costs no round trip.
 */
import type { Insertable } from 'kysely';
import { isPostgres } from '../db/schema-helpers.js';
import type {
  BlockDeviceMappingTable, ComputeDb, InstanceActionsTable, InstanceMetadataTable, InstancesTable, RequestSpecsTable,
} from './db/tables.js';
import type { InstanceRow } from './instance-store.js';

export interface NewInstanceRecords {
  instances: Insertable<InstancesTable>[];
  metadata: Insertable<InstanceMetadataTable>[];
  blockDevices: Insertable<BlockDeviceMappingTable>[];
  requestSpecs: Insertable<RequestSpecsTable>[];
  actions: Insertable<InstanceActionsTable>[];
}

/** Writes them all; the servers' rows as written, in the order given. */
export async function insertNewInstances(trx: ComputeDb, records: NewInstanceRecords): Promise<InstanceRow[]> {
  const written = isPostgres(trx) ? await insertAtOnce(trx, records) : await insertTableByTable(trx, records);
  const byUuid = new Map(written.map((r) => [r.uuid, r]));
  return records.instances.map((r) => byUuid.get(r.uuid)!);
}

async function insertAtOnce(trx: ComputeDb, r: NewInstanceRecords): Promise<InstanceRow[]> {
  let q = trx.with('new_instances', (db) => db.insertInto('instances').values(r.instances).returningAll())
    .with('new_block_devices', (db) => db.insertInto('block_device_mapping').values(r.blockDevices).returning('uuid'))
    .with('new_request_specs', (db) => db.insertInto('request_specs').values(r.requestSpecs).returning('instance_uuid'))
    .with('new_actions', (db) => db.insertInto('instance_actions').values(r.actions).returning('id'));
  if (r.metadata.length > 0) {
    q = q.with('new_metadata', (db) => db.insertInto('instance_metadata').values(r.metadata).returning('instance_uuid')) as unknown as typeof q;
  }
  return q.selectFrom('new_instances').selectAll().execute();
}

async function insertTableByTable(trx: ComputeDb, r: NewInstanceRecords): Promise<InstanceRow[]> {
  const rows = await trx.insertInto('instances').values(r.instances).returningAll().execute();
  if (r.metadata.length > 0) await trx.insertInto('instance_metadata').values(r.metadata).execute();
  await trx.insertInto('block_device_mapping').values(r.blockDevices).execute();
  await trx.insertInto('request_specs').values(r.requestSpecs).execute();
  await trx.insertInto('instance_actions').values(r.actions).execute();
  return rows;
}
