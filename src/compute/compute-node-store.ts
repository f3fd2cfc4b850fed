/**
 * Compute node records as their own host's resource tracker writes them
 * (Nova's ComputeNode object: get_by_host_and_nodename, create, save).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { nowIso } from '../db/schema-helpers.js';
import type { ComputeDb } from './db/tables.js';
import type { ComputeNodeRow } from './hypervisor-store.js';

/** What the resource tracker sets on a node; the rest (identity, timestamps) is the record's own. */
export type ComputeNodeValues = Omit<ComputeNodeRow, 'id' | 'uuid' | 'host' | 'hypervisor_hostname' | 'created_at' | 'updated_at' | 'deleted'>;

/** What the live servers of one node take. */
export interface NodeUsage {
  instances: number;
  vcpus: number;
  memory_mb: number;
  /** Root plus ephemeral disk. */
  local_gb: number;
}

export async function nodeUsage(db: ComputeDb, host: string, nodename: string): Promise<NodeUsage> {
  const usage = await db.selectFrom('instances')
    .select([
      sql<number>`count(*)`.as('n'), sql<number>`coalesce(sum(vcpus), 0)`.as('vcpus'),
      sql<number>`coalesce(sum(memory_mb), 0)`.as('ram'), sql<number>`coalesce(sum(root_gb + ephemeral_gb), 0)`.as('disk'),
    ])
    .where('host', '=', host).where('node', '=', nodename).where('deleted', '=', 0)
    .executeTakeFirstOrThrow();
  return { instances: Number(usage.n), vcpus: Number(usage.vcpus), memory_mb: Number(usage.ram), local_gb: Number(usage.disk) };
}

export async function computeNodeOf(db: ComputeDb, host: string, nodename: string): Promise<ComputeNodeRow | undefined> {
  return db.selectFrom('compute_nodes').selectAll()
    .where('host', '=', host).where('hypervisor_hostname', '=', nodename).where('deleted', '=', 0).executeTakeFirst();
}

/** The live nodes of a host, oldest first. */
export async function computeNodesOf(db: ComputeDb, host: string): Promise<ComputeNodeRow[]> {
  return db.selectFrom('compute_nodes').selectAll().where('host', '=', host).where('deleted', '=', 0).orderBy('id').execute();
}

export async function createComputeNode(db: ComputeDb, host: string, nodename: string, values: ComputeNodeValues): Promise<ComputeNodeRow> {
  return db.insertInto('compute_nodes').values({
    uuid: randomUUID(), host, hypervisor_hostname: nodename, ...values, created_at: nowIso(), updated_at: null, deleted: 0,
  }).returningAll().executeTakeFirstOrThrow();
}

/** False when the node is gone (its service was deleted meanwhile). */
export async function saveComputeNode(db: ComputeDb, uuid: string, values: ComputeNodeValues): Promise<boolean> {
  const res = await db.updateTable('compute_nodes').set({ ...values, updated_at: nowIso() })
    .where('uuid', '=', uuid).where('deleted', '=', 0).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}
