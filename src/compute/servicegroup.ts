/**
 * Service records and heartbeats (Nova's servicegroup DB driver): each service
 * process has a row in `services`, and it is up while it keeps reporting.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { nowIso } from '../db/timestamps.js';
import type { ComputeDb } from './db/tables.js';

/**
 * Makes this service's row, or marks the existing one up. One statement: two
 * processes of one binary starting together on a host (two schedulers, say)
 * would otherwise both find no row and the second insert would fail its start.
 */
export async function registerService(db: ComputeDb, host: string, binary: string, topic: string): Promise<void> {
  const now = nowIso();
  await db.insertInto('services').values({
    uuid: randomUUID(), host, binary, topic, report_count: 0, disabled: 0, disabled_reason: null,
    forced_down: 0, last_seen_up: now, version: 1, created_at: now, updated_at: null, deleted: 0,
  }).onConflict((oc) => oc.columns(['host', 'binary', 'deleted']).doUpdateSet({ last_seen_up: now, updated_at: now, topic }))
    .execute();
}

export async function reportServiceUp(db: ComputeDb, host: string, binaries: readonly string[]): Promise<void> {
  const now = nowIso();
  await db.updateTable('services')
    .set((eb) => ({ last_seen_up: now, updated_at: now, report_count: eb('report_count', '+', 1) }))
    .where('host', '=', host).where('binary', 'in', [...binaries]).where('deleted', '=', 0).execute();
}

/**
 * Calls `report` (a service's reportServiceUp) every `intervalS` seconds until
 * stopped. A beat that comes while the previous report still waits (for a
 * bus that is reconnecting, say) is skipped, as Nova's looping call does not
 * overlap its runs: otherwise one report per second piles up for the whole
 * outage and they all time out together.
 */
export function startHeartbeat(report: () => Promise<void>, intervalS: number, logger: Logger): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    report().catch((err) => logger.warn({ err }, 'service heartbeat failed')).finally(() => { running = false; });
  }, intervalS * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
