/** GET /limits: the project's quotas and what it uses of them; ?tenant_id= for admins. */
import type { FastifyInstance } from 'fastify';
import { countProjectUsage, countServerGroups, projectLimits } from '../quota.js';
import type { ComputeApiDeps } from './deps.js';
import { queryParam, rejectUnknownQuery } from './schemas/flavors.js';
import { limitsView } from './views/limits.js';

export function registerLimitsRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { db, policy, conf } = deps;

  app.get('/limits', async (request) => {
    const v = request.apiVersion;
    if (v.atLeast('2.75')) rejectUnknownQuery(request, ['tenant_id']);
    policy.authorize('os_compute_api:limits', { project_id: request.auth.projectId }, request.auth);
    let projectId = request.auth.projectId;
    const tenant = queryParam(request, 'tenant_id');
    if (tenant !== undefined) {
      policy.authorize('os_compute_api:limits:other_project', { project_id: tenant }, request.auth);
      projectId = tenant;
    }
    const usage = await countProjectUsage(db, projectId);
    const limits = await projectLimits(db, conf.quota, projectId);
    return limitsView(limits, { ...usage, serverGroups: await countServerGroups(db, projectId) }, (x) => v.atLeast(x));
  });
}
