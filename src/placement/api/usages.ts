/** GET /usages (1.9): what a project (and optionally one of its users) holds. */
import type { FastifyInstance } from 'fastify';
import { MissingQueryValue } from '../errors.js';
import { atLeast, since, versionOf, type PlacementRouteDeps } from './common.js';
import { authorize } from './policy.js';
import { placementQuery, validate } from '../../http/validation.js';
import { single, usagesQuery, type Query } from './schemas/queries.js';

export function registerUsageRoutes(app: FastifyInstance, deps: PlacementRouteDeps): void {
  app.get('/usages', async (req) => {
    since(req, '1.9');
    const q = req.query as Query;
    // The rule is about the project asked after, and comes before the query is validated, as in placement.
    const asked = typeof q.project_id === 'string' ? q.project_id : undefined;
    authorize(deps.policy, 'placement:usages', req.auth, { project_id: asked });
    validate(usagesQuery(versionOf(req)), q, placementQuery);
    const projectId = single(q, 'project_id');
    if (projectId === undefined || projectId === '') throw new MissingQueryValue("Invalid query string parameters: 'project_id' is a required property");
    const userId = single(q, 'user_id');
    if (!atLeast(req, '1.38')) return { usages: await deps.placement.getProjectUsages(projectId, userId) };

    // 1.38: grouped by consumer type, with consumer counts, plus an "all" total.
    const wantedType = single(q, 'consumer_type');
    const byType = await deps.placement.getProjectUsagesByType(projectId, userId);
    const usages: Record<string, Record<string, number>> = {};
    const all: Record<string, number> = { consumer_count: 0 };
    for (const t of byType) {
      const type = t.consumerType ?? 'unknown';
      usages[type] = { consumer_count: t.consumerCount, ...t.usages };
      all.consumer_count! += t.consumerCount;
      for (const [rc, n] of Object.entries(t.usages)) all[rc] = (all[rc] ?? 0) + n;
    }
    if (wantedType === 'all') return { usages: { all } };
    if (wantedType !== undefined) return { usages: { [wantedType]: usages[wantedType] ?? { consumer_count: 0 } } };
    return { usages: { ...usages, all } };
  });
}
