/**
 * The ComputeHostStore of a process that holds the database (the
 * all-in-one, and later the conductor answering compute hosts): each
 * operation is the data layer's own function, so the SQL stays in the stores.
 */
import type { RequestContext } from '../../bus/context.js';
import type { Flavor } from '../../objects/flavor.js';
import type { VifInfo } from '../../virt/driver.js';
import type { ComputeDb } from '../db/tables.js';
import { deleteConsoleTokensForInstance } from '../../console/auth-tokens.js';
import { computeNodeOf, computeNodesOf, createComputeNode, nodeUsage, saveComputeNode } from '../compute-node-store.js';
import {
  addInstanceFault, getInstanceRow, getMetadata, instanceFromRow, instanceRowsOnHost, InstanceNotFound, markInstanceDeleted, updateInstance,
  type HostInstanceFilter, type InstanceRow,
} from '../instance-store.js';
import { finishAction, finishActionEvent, insertActionEvent, recordActionStart } from '../instance-actions.js';
import { saveInstanceWithEvent } from './save-with-event.js';
import { failInterruptedEvents, findInterruptedAction } from '../interrupted-action.js';
import { evacuationsFrom, getMigration, inProgressLiveMigrations, unconfirmedByDest, updateMigration } from '../migration-store.js';
import { groupPlacement } from '../server-groups.js';
import { registerService, reportServiceUp } from '../servicegroup.js';
import { getSystemMetadata, removeSystemMetadata, setSystemMetadata } from '../system-metadata.js';
import type { ComputeHostStore, InstanceRecord } from './port.js';

function parsedOr<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export class DatabaseComputeHostStore implements ComputeHostStore {
  constructor(private readonly db: ComputeDb) {}

  async getInstance(uuid: string, opts: { readDeleted?: boolean } = {}): Promise<InstanceRecord | null> {
    let row: InstanceRow;
    try {
      row = await getInstanceRow(this.db, uuid, opts);
    } catch (err) {
      if (err instanceof InstanceNotFound) return null;
      throw err;
    }
    const [metadata, systemMetadata] = await Promise.all([getMetadata(this.db, [uuid]), getSystemMetadata(this.db, uuid)]);
    const networkInfo = parsedOr<unknown>(row.network_info, []);
    return {
      instance: instanceFromRow(row, metadata.get(uuid) ?? {}),
      networkInfo: Array.isArray(networkInfo) ? (networkInfo as VifInfo[]) : [],
      oldFlavor: parsedOr<Flavor | null>(row.old_flavor, null),
      systemMetadata,
      deleted: row.deleted !== 0,
    };
  }

  async listInstancesOnHost(host: string, filter: HostInstanceFilter = {}) {
    const rows = await instanceRowsOnHost(this.db, host, filter);
    const metadata = await getMetadata(this.db, rows.map((r) => r.uuid));
    return rows.map((r) => instanceFromRow(r, metadata.get(r.uuid) ?? {}));
  }

  saveInstance(uuid: string, values: Parameters<ComputeHostStore['saveInstance']>[1], expectedTaskState?: Array<string | null>) {
    return updateInstance(this.db, uuid, values, expectedTaskState);
  }

  saveInstanceWithEvent(...[ctx, uuid, values, expectedTaskState, event, guard]: Parameters<ComputeHostStore['saveInstanceWithEvent']>) {
    return saveInstanceWithEvent(this.db, ctx, uuid, values, expectedTaskState, event, guard);
  }

  destroyInstance(uuid: string) {
    return markInstanceDeleted(this.db, uuid);
  }

  addInstanceFault(uuid: string, fault: Parameters<ComputeHostStore['addInstanceFault']>[1]) {
    return addInstanceFault(this.db, uuid, fault);
  }

  setSystemMetadata(uuid: string, values: Record<string, string>) {
    return setSystemMetadata(this.db, uuid, values);
  }

  removeSystemMetadata(uuid: string, keys: string[]) {
    return removeSystemMetadata(this.db, uuid, keys);
  }

  startAction(ctx: RequestContext, instanceUuid: string, action: string) {
    return recordActionStart(this.db, ctx, instanceUuid, action);
  }

  finishAction(ctx: RequestContext, instanceUuid: string) {
    return finishAction(this.db, ctx, instanceUuid);
  }

  startActionEvent(ctx: RequestContext, instanceUuid: string, event: string, host: string | null) {
    return insertActionEvent(this.db, ctx, instanceUuid, event, host);
  }

  finishActionEvent(...[ref, result, details, finish]: Parameters<ComputeHostStore['finishActionEvent']>) {
    return finishActionEvent(this.db, ref, result, details, finish);
  }

  findInterruptedAction(instanceUuid: string) {
    return findInterruptedAction(this.db, instanceUuid);
  }

  failInterruptedEvents(...[ctx, instanceUuid, fallback]: Parameters<ComputeHostStore['failInterruptedEvents']>) {
    return failInterruptedEvents(this.db, ctx, instanceUuid, fallback);
  }

  async getMigration(uuid: string) {
    return (await getMigration(this.db, uuid)) ?? null;
  }

  saveMigration(...[uuid, values, fromStatuses]: Parameters<ComputeHostStore['saveMigration']>) {
    return updateMigration(this.db, uuid, values, fromStatuses);
  }

  listUnconfirmedMigrations(destHost: string, windowS: number) {
    return unconfirmedByDest(this.db, destHost, windowS);
  }

  listInProgressLiveMigrations(instanceUuid: string) {
    return inProgressLiveMigrations(this.db, instanceUuid);
  }

  listEvacuationsFrom(sourceHost: string) {
    return evacuationsFrom(this.db, sourceHost);
  }

  async getGroupPlacement(groupUuid: string, excludingInstanceUuid: string) {
    const group = await groupPlacement(this.db, groupUuid, [excludingInstanceUuid]);
    return group && { ...group, hosts: Object.fromEntries(group.hosts) };
  }

  getNodeUsage(host: string, nodename: string) {
    return nodeUsage(this.db, host, nodename);
  }

  async getComputeNode(host: string, nodename: string) {
    return (await computeNodeOf(this.db, host, nodename)) ?? null;
  }

  listComputeNodes(host: string) {
    return computeNodesOf(this.db, host);
  }

  createComputeNode(...[host, nodename, values]: Parameters<ComputeHostStore['createComputeNode']>) {
    return createComputeNode(this.db, host, nodename, values);
  }

  saveComputeNode(...[uuid, values]: Parameters<ComputeHostStore['saveComputeNode']>) {
    return saveComputeNode(this.db, uuid, values);
  }

  deleteConsoleTokens(instanceUuid: string) {
    return deleteConsoleTokensForInstance(this.db, instanceUuid);
  }

  registerService(host: string, binary: string, topic: string) {
    return registerService(this.db, host, binary, topic);
  }

  reportServiceUp(host: string, binaries: string[]) {
    return reportServiceUp(this.db, host, binaries);
  }
}
