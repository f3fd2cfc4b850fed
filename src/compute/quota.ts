/**
 * Counting quotas, as Nova does since Pike: usage is counted from the live
 * rows, so freeing a server frees its quota with nothing to reconcile.
 */
import { sql } from 'kysely';
import type { Config } from '../conf/options.js';
import { QuotaExceeded } from '../http/errors.js';
import type { ComputeDb } from './db/tables.js';

export interface ProjectUsage {
  instances: number;
  cores: number;
  ram: number;
}

export type QuotaLimits = Config['quota'];

export async function countProjectUsage(db: ComputeDb, projectId: string): Promise<ProjectUsage> {
  const row = await db
    .selectFrom('instances')
    .select([
      sql<number>`count(*)`.as('instances'),
      sql<number>`coalesce(sum(vcpus), 0)`.as('cores'),
      sql<number>`coalesce(sum(memory_mb), 0)`.as('ram'),
    ])
    .where('project_id', '=', projectId)
    .where('deleted', '=', 0)
    .executeTakeFirstOrThrow();
  return { instances: Number(row.instances), cores: Number(row.cores), ram: Number(row.ram) };
}

/**
 * Checks that `count` more servers of the given size fit in the project's
 * quota, and returns how many do fit (Nova shrinks max_count to that when it
 * is at least min_count).
 */
export function allowedInstances(
  limits: QuotaLimits,
  usage: ProjectUsage,
  perInstance: { cores: number; ram: number },
  minCount: number,
  maxCount: number,
): number {
  const room = (limit: number, used: number, each: number) =>
    limit < 0 || each === 0 ? Number.POSITIVE_INFINITY : Math.floor((limit - used) / each);
  const fits = Math.min(
    room(limits.instances, usage.instances, 1),
    room(limits.cores, usage.cores, perInstance.cores),
    room(limits.ram, usage.ram, perInstance.ram),
  );
  if (fits >= maxCount) return maxCount;
  if (fits >= minCount) return fits;
  // Name the first resource that is over, with Nova's wording.
  const over: Array<[keyof ProjectUsage, number, number, number]> = [
    ['instances', limits.instances, usage.instances, minCount],
    ['cores', limits.cores, usage.cores, minCount * perInstance.cores],
    ['ram', limits.ram, usage.ram, minCount * perInstance.ram],
  ];
  for (const [name, limit, used, requested] of over) {
    if (limit >= 0 && used + requested > limit) {
      throw new QuotaExceeded(`Quota exceeded for ${name}: Requested ${requested}, but already used ${used} of ${limit} ${name}`);
    }
  }
  throw new QuotaExceeded('Quota exceeded');
}
