/**
 * /v2.0/quotas/{project}: read-only. This service enforces router and
 * floating IP limits (src/network/quotas.ts); every other limit reads -1
 * (unlimited) — the truth, not Neutron's defaults. `openstack quota show`
 * needs these to answer.
 */
import type { FastifyInstance } from 'fastify';
import { enforce } from './policy.js';
import type { NetworkApiContext } from './common.js';

const RESOURCES = ['network', 'subnet', 'port', 'router', 'floatingip', 'security_group', 'security_group_rule', 'rbac_policy', 'subnetpool'];

export function registerQuotaRoutes(app: FastifyInstance, ctx: NetworkApiContext): void {
  const { network: svc, policy } = ctx;
  const limit = (r: string) => (svc.quotaLimits as Record<string, number>)[r] ?? -1;
  const limits = () => Object.fromEntries(RESOURCES.map((r) => [r, limit(r)]));

  app.get('/quotas/:project', async (request) => {
    const { project } = request.params as { project: string };
    enforce(policy, 'get_quota', { project_id: project, tenant_id: project }, request.auth);
    return { quota: limits() };
  });

  app.get('/quotas/:project/default', async (request) => {
    const { project } = request.params as { project: string };
    enforce(policy, 'get_quota', { project_id: project, tenant_id: project }, request.auth);
    return { quota: limits() };
  });

  app.get('/quotas/:project/details', async (request) => {
    const { project } = request.params as { project: string };
    enforce(policy, 'get_quota', { project_id: project, tenant_id: project }, request.auth);
    const used = await svc.usage(project);
    return {
      quota: Object.fromEntries(RESOURCES.map((r) => [r, { limit: limit(r), used: used[r] ?? 0, reserved: 0 }])),
    };
  });
}
