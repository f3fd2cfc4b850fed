/** /v3/roles and a user's grants on projects. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, Forbidden, NotFound } from '../../errors.js';
import type { Role } from '../model.js';
import { authorize, collectionLinks, v3Url, type IdentityRouteContext } from './context.js';
import { queryString, type Json } from './validate.js';
import { validated } from './schemas/common.js';
import { roleCreate, roleUpdate } from './schemas/roles.js';
import { roleView } from './views.js';

interface GrantParams { projectId: string; userId: string; roleId: string }

export function registerRoleRoutes(app: FastifyInstance, ctx: IdentityRouteContext): void {
  const { identity } = ctx;
  const store = identity.store;
  const view = (request: FastifyRequest, r: Role) => roleView(r, v3Url(ctx, request, `/roles/${r.id}`));

  app.get('/v3/roles', async (request) => {
    authorize(ctx, request, 'identity:list_roles');
    const roles = await store.listRoles({ name: queryString(request.query as Json, 'name') });
    return { roles: roles.map((r) => view(request, r)), links: collectionLinks(ctx, request, '/roles') };
  });

  app.get<{ Params: { id: string } }>('/v3/roles/:id', async (request) => {
    authorize(ctx, request, 'identity:get_role', { target: { role: { id: request.params.id } } });
    const role = await store.getRole(request.params.id);
    if (!role) throw new NotFound(`Could not find role: ${request.params.id}.`);
    return { role: view(request, role) };
  });

  app.post('/v3/roles', async (request, reply) => {
    const body = validated(request.body, 'role', roleCreate);
    authorize(ctx, request, 'identity:create_role');
    const role = await store.createRole({
      name: body.name as string,
      description: (body.description as string | null | undefined) ?? '',
    });
    reply.code(201);
    return { role: view(request, role) };
  });

  app.patch<{ Params: { id: string } }>('/v3/roles/:id', async (request) => {
    const body = validated(request.body, 'role', roleUpdate);
    authorize(ctx, request, 'identity:update_role', { target: { role: { id: request.params.id } } });
    const role = await store.updateRole(request.params.id, {
      name: (body.name as string | undefined) ?? undefined,
      description: (body.description as string | null | undefined) ?? undefined,
    });
    return { role: view(request, role) };
  });

  app.delete<{ Params: { id: string } }>('/v3/roles/:id', async (request, reply) => {
    authorize(ctx, request, 'identity:delete_role', { target: { role: { id: request.params.id } } });
    await identity.deleteRole(request.params.id);
    return reply.code(204).send();
  });

  // -- implied roles (Keystone's role inference rules)

  type Rule = { priorId: string; impliedId: string };
  const ref = (request: FastifyRequest, r: Role) => ({ id: r.id, name: r.name, links: { self: v3Url(ctx, request, `/roles/${r.id}`) } });
  const requireRole = async (id: string): Promise<Role> => {
    const role = await store.getRole(id);
    if (!role) throw new NotFound(`Could not find role: ${id}.`);
    return role;
  };
  const requireRule = async (p: Rule): Promise<[Role, Role]> => {
    const [prior, implied] = [await requireRole(p.priorId), await requireRole(p.impliedId)];
    const rules = await store.listImpliedRoles();
    if (!rules.some((x) => x.priorRoleId === p.priorId && x.impliedRoleId === p.impliedId)) {
      throw new NotFound(`${p.priorId} does not imply ${p.impliedId}.`);
    }
    return [prior, implied];
  };
  const rulePath = '/v3/roles/:priorId/implies/:impliedId';

  app.put<{ Params: Rule }>(rulePath, async (request, reply) => {
    authorize(ctx, request, 'identity:create_implied_role');
    const [prior, implied] = [await requireRole(request.params.priorId), await requireRole(request.params.impliedId)];
    // Keystone's [assignment] prohibited_implied_role: no role may bring admin with it.
    if (implied.name === 'admin') throw new Forbidden(`${implied.id} is not permitted to be an implied role.`);
    if (prior.id === implied.id) throw new BadRequest('A role cannot imply itself.');
    await store.addImpliedRole(prior.id, implied.id);
    reply.code(201);
    return { role_inference: { prior_role: ref(request, prior), implies: ref(request, implied) }, links: { self: v3Url(ctx, request, `/roles/${prior.id}/implies/${implied.id}`) } };
  });

  app.get<{ Params: Rule }>(rulePath, { exposeHeadRoute: false }, async (request) => {
    authorize(ctx, request, 'identity:get_implied_role');
    const [prior, implied] = await requireRule(request.params);
    return { role_inference: { prior_role: ref(request, prior), implies: ref(request, implied) }, links: { self: v3Url(ctx, request, `/roles/${prior.id}/implies/${implied.id}`) } };
  });

  app.head<{ Params: Rule }>(rulePath, async (request, reply) => {
    authorize(ctx, request, 'identity:check_implied_role');
    await requireRule(request.params);
    return reply.code(204).send();
  });

  app.delete<{ Params: Rule }>(rulePath, async (request, reply) => {
    authorize(ctx, request, 'identity:delete_implied_role');
    await requireRule(request.params);
    await store.removeImpliedRole(request.params.priorId, request.params.impliedId);
    return reply.code(204).send();
  });

  app.get<{ Params: { priorId: string } }>('/v3/roles/:priorId/implies', async (request) => {
    authorize(ctx, request, 'identity:list_implied_roles');
    const prior = await requireRole(request.params.priorId);
    const ids = (await store.listImpliedRoles()).filter((x) => x.priorRoleId === prior.id).map((x) => x.impliedRoleId);
    const roles = await store.rolesById(ids);
    return {
      role_inference: { prior_role: ref(request, prior), implies: ids.map((id) => roles.get(id)).filter((r): r is Role => r !== undefined).map((r) => ref(request, r)) },
      links: { self: v3Url(ctx, request, `/roles/${prior.id}/implies`) },
    };
  });

  app.get('/v3/role_inferences', async (request) => {
    authorize(ctx, request, 'identity:list_role_inference_rules');
    const rules = await store.listImpliedRoles();
    const roles = await store.rolesById(rules.flatMap((x) => [x.priorRoleId, x.impliedRoleId]));
    const byPrior = new Map<string, Role[]>();
    for (const x of rules) {
      const implied = roles.get(x.impliedRoleId);
      if (!implied || !roles.has(x.priorRoleId)) continue;
      byPrior.set(x.priorRoleId, [...(byPrior.get(x.priorRoleId) ?? []), implied]);
    }
    return {
      role_inferences: [...byPrior].map(([priorId, implied]) => ({ prior_role: ref(request, roles.get(priorId)!), implies: implied.map((r) => ref(request, r)) })),
      links: { self: v3Url(ctx, request, '/role_inferences') },
    };
  });

  // -- grants of a role to a user on a project

  const grantTarget = (p: GrantParams) => ({
    target: { project: { id: p.projectId }, user: { id: p.userId }, role: { id: p.roleId } },
  });
  const requireGrantParts = async (p: GrantParams): Promise<void> => {
    const [project, user, role] = await Promise.all([store.getProject(p.projectId), store.getUser(p.userId), store.getRole(p.roleId)]);
    if (!project) throw new NotFound(`Could not find project: ${p.projectId}.`);
    if (!user) throw new NotFound(`Could not find user: ${p.userId}.`);
    if (!role) throw new NotFound(`Could not find role: ${p.roleId}.`);
  };

  app.get<{ Params: { projectId: string; userId: string } }>('/v3/projects/:projectId/users/:userId/roles', async (request) => {
    const { projectId, userId } = request.params;
    authorize(ctx, request, 'identity:list_grants', { target: { project: { id: projectId }, user: { id: userId } } });
    const [project, user] = await Promise.all([store.getProject(projectId), store.getUser(userId)]);
    if (!project) throw new NotFound(`Could not find project: ${projectId}.`);
    if (!user) throw new NotFound(`Could not find user: ${userId}.`);
    const roles = await store.assignedRoles(userId, projectId);
    return { roles: roles.map((r) => view(request, r)), links: collectionLinks(ctx, request, `/projects/${projectId}/users/${userId}/roles`) };
  });

  app.put<{ Params: GrantParams }>('/v3/projects/:projectId/users/:userId/roles/:roleId', async (request, reply) => {
    authorize(ctx, request, 'identity:create_grant', grantTarget(request.params));
    await requireGrantParts(request.params);
    await store.grant(request.params.userId, request.params.projectId, request.params.roleId);
    return reply.code(204).send();
  });

  // GET also answers HEAD (Fastify adds it): Keystone's check_grant.
  app.get<{ Params: GrantParams }>('/v3/projects/:projectId/users/:userId/roles/:roleId', async (request, reply) => {
    authorize(ctx, request, 'identity:check_grant', grantTarget(request.params));
    await requireGrantParts(request.params);
    const { userId, projectId, roleId } = request.params;
    if (!(await store.hasGrant(userId, projectId, roleId))) {
      throw new NotFound(`Could not find role assignment with role: ${roleId}, user or group: ${userId}, project, domain, or system: ${projectId}.`);
    }
    return reply.code(204).send();
  });

  app.delete<{ Params: GrantParams }>('/v3/projects/:projectId/users/:userId/roles/:roleId', async (request, reply) => {
    authorize(ctx, request, 'identity:revoke_grant', grantTarget(request.params));
    await requireGrantParts(request.params);
    await identity.revokeGrant(request.params.userId, request.params.projectId, request.params.roleId);
    return reply.code(204).send();
  });
}
