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

export function noNewInstanceRecords(): NewInstanceRecords {
  return { instances: [], metadata: [], blockDevices: [], requestSpecs: [], actions: [] };
}

/**
 * Parameters bound in one statement at most: under SQLite's limit (32766) and
 * PostgreSQL's (65535). A create of many servers (max_count is bounded only by
 * quota) is written in as many statements as it takes.
 */
const MAX_PARAMETERS = 30_000;

/** Writes them all; the servers' rows as written, in the order given. */
export async function insertNewInstances(trx: ComputeDb, records: NewInstanceRecords, maxParameters = MAX_PARAMETERS): Promise<InstanceRow[]> {
  const write = isPostgres(trx) ? insertAtOnce : insertTableByTable;
  const byUuid = new Map<string, InstanceRow>();
  for (const part of partsOf(records, maxParameters)) for (const row of await write(trx, part)) byUuid.set(row.uuid, row);
  return records.instances.map((r) => byUuid.get(r.uuid)!);
}

/** The records split by server, each part binding at most maxParameters (a server whose own records bind more goes alone). */
function* partsOf(records: NewInstanceRecords, maxParameters: number): Generator<NewInstanceRecords> {
  const ofServer = <T extends { instance_uuid: string }>(rows: T[]) => {
    const out = new Map<string, T[]>();
    for (const row of rows) {
      const list = out.get(row.instance_uuid);
      if (list) list.push(row);
      else out.set(row.instance_uuid, [row]);
    }
    return out;
  };
  const metadata = ofServer(records.metadata), blockDevices = ofServer(records.blockDevices);
  const requestSpecs = ofServer(records.requestSpecs), actions = ofServer(records.actions);
  const parameters = (rows: object[]) => rows.reduce((n, row) => n + Object.keys(row).length, 0);
  let part = noNewInstanceRecords();
  let bound = 0;
  for (const instance of records.instances) {
    const uuid = instance.uuid;
    const own: NewInstanceRecords = {
      instances: [instance], metadata: metadata.get(uuid) ?? [], blockDevices: blockDevices.get(uuid) ?? [],
      requestSpecs: requestSpecs.get(uuid) ?? [], actions: actions.get(uuid) ?? [],
    };
    const n = parameters([...own.instances, ...own.metadata, ...own.blockDevices, ...own.requestSpecs, ...own.actions]);
    if (part.instances.length > 0 && bound + n > maxParameters) {
      yield part;
      part = noNewInstanceRecords();
      bound = 0;
    }
    for (const key of Object.keys(part) as Array<keyof NewInstanceRecords>) (part[key] as object[]).push(...own[key]);
    bound += n;
  }
  if (part.instances.length > 0) yield part;
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
