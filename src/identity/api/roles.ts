/** /v3/roles and a user's grants on projects. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFound } from '../../http/errors.js';
import type { Role } from '../model.js';
import { authorize, collectionLinks, v3Url, type IdentityRouteContext } from './context.js';
import { member, queryString, str, type Json } from './validate.js';
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
    const body = member(request.body, 'role');
    authorize(ctx, request, 'identity:create_role');
    const role = await store.createRole({
      name: str(body, 'name', 'role', { required: true, minLength: 1, maxLength: 255 }),
      description: str(body, 'description', 'role', { nullable: true, maxLength: 255 }) ?? '',
    });
    reply.code(201);
    return { role: view(request, role) };
  });

  app.patch<{ Params: { id: string } }>('/v3/roles/:id', async (request) => {
    const body = member(request.body, 'role');
    authorize(ctx, request, 'identity:update_role', { target: { role: { id: request.params.id } } });
    const role = await store.updateRole(request.params.id, {
      name: str(body, 'name', 'role', { minLength: 1, maxLength: 255 }) ?? undefined,
      description: str(body, 'description', 'role', { nullable: true, maxLength: 255 }) ?? undefined,
    });
    return { role: view(request, role) };
  });

  app.delete<{ Params: { id: string } }>('/v3/roles/:id', async (request, reply) => {
    authorize(ctx, request, 'identity:delete_role', { target: { role: { id: request.params.id } } });
    await identity.deleteRole(request.params.id);
    return reply.code(204).send();
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
