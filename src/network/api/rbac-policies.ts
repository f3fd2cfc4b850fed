/** /v2.0/rbac-policies */
import type { FastifyInstance } from 'fastify';
import type { PolicyTarget } from '../../policy/types.js';
import { BadRequest } from '../../errors.js';
import { RBAC_POLICY_LISTING, rbacPolicyNotFound, type RbacAction } from '../rbac-policies.js';
import type { RbacPolicyRow } from '../tables.js';
import { neutron, validate } from '../../http/validation.js';
import { owningProject, resourceItems, type Body } from './schemas/common.js';
import { rbacPolicyCreate, rbacPolicyUpdate } from './schemas/rbac-policies.js';
import { enforce } from './policy.js';
import { rbacPolicyView } from './views.js';
import type { NetworkApiContext } from './common.js';
import { registerDeleteRoute, registerReadRoutes } from './read-routes.js';

function rbacTarget(r: Pick<RbacPolicyRow, 'project_id' | 'target_project'>): PolicyTarget {
  return { project_id: r.project_id, tenant_id: r.project_id, target_tenant: r.target_project, target_project: r.target_project };
}

/** target_project is the newer spelling of target_tenant; a body may use either, not two different values. */
function targetOf(item: Body): string | undefined {
  const a = item.target_tenant as string | undefined;
  const b = item.target_project as string | undefined;
  if (a !== undefined && b !== undefined && a !== b) throw new BadRequest('target_tenant and target_project must match when both are given');
  return a ?? b;
}

export function registerRbacPolicyRoutes(app: FastifyInstance, ctx: NetworkApiContext): void {
  const { network: svc, policy } = ctx;

  const lookup = registerReadRoutes<RbacPolicyRow, RbacPolicyRow>(app, ctx, {
    singular: 'rbac_policy', collection: 'rbac-policies', plural: 'rbac_policies', listing: RBAC_POLICY_LISTING,
    getRule: 'get_rbac_policy', store: svc.rbacPolicies, rowOf: (r) => r, target: rbacTarget, view: rbacPolicyView,
    notFound: (id) => rbacPolicyNotFound(id),
  });

  app.post('/rbac-policies', async (request, reply) => {
    const { items } = resourceItems(request.body, 'rbac_policy', '\0');
    const item = items[0]!;
    validate(rbacPolicyCreate, item, neutron);
    const target = targetOf(item);
    if (target === undefined) throw new BadRequest("Failed to parse request. Required attribute 'target_tenant' not specified");
    const input = {
      project_id: owningProject(item, request.auth), object_type: item.object_type as string, object_id: item.object_id as string,
      action: item.action as RbacAction, target_project: target,
    };
    enforce(policy, 'create_rbac_policy', rbacTarget(input), request.auth);
    enforce(policy, 'create_rbac_policy:target_tenant', rbacTarget(input), request.auth);
    const row = await svc.createRbacPolicy(request.auth, input);
    reply.code(201);
    return { rbac_policy: rbacPolicyView(row) };
  });

  app.put('/rbac-policies/:id', async (request) => {
    const { id } = request.params as { id: string };
    const { items } = resourceItems(request.body, 'rbac_policy', '\0');
    const item = items[0]!;
    validate(rbacPolicyUpdate, item, neutron);
    const current = await lookup(request.auth, id);
    enforce(policy, 'update_rbac_policy', rbacTarget(current), request.auth);
    const target = targetOf(item);
    if (target === undefined) return { rbac_policy: rbacPolicyView(current) };
    enforce(policy, 'update_rbac_policy:target_tenant', rbacTarget({ ...current, target_project: target }), request.auth);
    return { rbac_policy: rbacPolicyView(await svc.rbacPolicies.update(current, target)) };
  });

  registerDeleteRoute(app, ctx, 'rbac-policies', 'delete_rbac_policy', lookup, rbacTarget, (r) => svc.rbacPolicies.delete(r));
}


