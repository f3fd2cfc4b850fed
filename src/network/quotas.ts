/**
 * The network quotas this service enforces: routers, floating IPs and RBAC
 * policies, with Neutron's default limits (quota_router, quota_floatingip,
 * quota_rbac_policy). The other
 * resources stay unlimited (-1).
 */
import type { NetworkDb } from './tables.js';
import { overQuota } from './errors.js';
import type { KeyedMutex } from './keyed-mutex.js';

export type EnforcedResource = 'router' | 'floatingip' | 'rbac_policy';

export type QuotaLimits = Record<EnforcedResource, number>;

export const DEFAULT_QUOTA_LIMITS: QuotaLimits = { router: 10, floatingip: 50, rbac_policy: 10 };

const TABLES = { router: 'neutron_routers', floatingip: 'neutron_floatingips', rbac_policy: 'neutron_rbac_policies' } as const;

export async function countOwned(db: NetworkDb, resource: EnforcedResource, projectId: string): Promise<number> {
  const r = await db.selectFrom(TABLES[resource]).select((eb) => eb.fn.countAll<number>().as('n'))
    .where('project_id', '=', projectId).executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * Runs `create` when the project has room for one more; creations for one
 * project and resource are serialized in this process, so two requests
 * cannot both take the last unit (processes sharing a database still can).
 */
export async function withinQuota<T>(
  db: NetworkDb, locks: KeyedMutex, limits: QuotaLimits, resource: EnforcedResource, projectId: string, create: () => Promise<T>,
): Promise<T> {
  return locks.run([`quota:${resource}:${projectId}`], async () => {
    const limit = limits[resource];
    if (limit >= 0 && await countOwned(db, resource, projectId) >= limit) throw overQuota(resource);
    return create();
  });
}
