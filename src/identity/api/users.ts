/** /v3/users: users, their password and their projects. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, NotFound } from '../../errors.js';
import { DEFAULT_DOMAIN_ID } from '../bootstrap.js';
import type { User } from '../model.js';
import { authorize, collectionLinks, v3Url, type IdentityRouteContext } from './context.js';
import { extraAttributes, queryBool, queryString, type Json } from './validate.js';
import { validated } from './schemas/common.js';
import { passwordChange, userCreate, userUpdate } from './schemas/users.js';
import { projectView, userView } from './views.js';

const KNOWN = ['id', 'name', 'domain_id', 'enabled', 'password', 'default_project_id', 'options', 'links', 'password_expires_at', 'federated'];

export function registerUserRoutes(app: FastifyInstance, ctx: IdentityRouteContext): void {
  const { identity } = ctx;
  const view = (request: FastifyRequest, u: User) => userView(u, v3Url(ctx, request, `/users/${u.id}`));

  const checkDefaultProject = async (id: string | null | undefined): Promise<void> => {
    if (id && !(await identity.store.getProject(id))) throw new NotFound(`Could not find project: ${id}.`);
  };

  app.get('/v3/users', async (request) => {
    const q = request.query as Json;
    authorize(ctx, request, 'identity:list_users', { domain_id: queryString(q, 'domain_id') ?? null });
    const users = await identity.store.listUsers({
      name: queryString(q, 'name'), domainId: queryString(q, 'domain_id'), enabled: queryBool(q, 'enabled'),
    });
    return { users: users.map((u) => view(request, u)), links: collectionLinks(ctx, request, '/users') };
  });

  app.get<{ Params: { id: string } }>('/v3/users/:id', async (request) => {
    authorize(ctx, request, 'identity:get_user', { target: { user: { id: request.params.id } } });
    const user = await identity.store.getUser(request.params.id);
    if (!user) throw new NotFound(`Could not find user: ${request.params.id}.`);
    return { user: view(request, user) };
  });

  app.post('/v3/users', async (request, reply) => {
    const body = validated(request.body, 'user', userCreate);
    const domainId = (body.domain_id as string | null | undefined) ?? DEFAULT_DOMAIN_ID;
    authorize(ctx, request, 'identity:create_user', { target: { user: { domain_id: domainId } } });
    const defaultProjectId = body.default_project_id as string | null | undefined;
    await checkDefaultProject(defaultProjectId);
    const user = await identity.store.createUser({
      name: body.name as string,
      domainId,
      password: body.password as string | null | undefined,
      enabled: body.enabled as boolean | undefined,
      defaultProjectId,
      extra: extraAttributes(body, KNOWN),
    });
    reply.code(201);
    return { user: view(request, user) };
  });

  app.patch<{ Params: { id: string } }>('/v3/users/:id', async (request) => {
    const body = validated(request.body, 'user', userUpdate);
    authorize(ctx, request, 'identity:update_user', { target: { user: { id: request.params.id } } });
    if (body.domain_id !== undefined) {
      const current = await identity.store.getUser(request.params.id);
      if (current && body.domain_id !== current.domainId) throw new BadRequest('Cannot change the domain of a user.');
    }
    const defaultProjectId = body.default_project_id as string | null | undefined;
    await checkDefaultProject(defaultProjectId);
    const user = await identity.updateUser(request.params.id, {
      name: (body.name as string | undefined) ?? undefined,
      password: body.password as string | null | undefined,
      enabled: body.enabled as boolean | undefined,
      defaultProjectId,
      extra: extraAttributes(body, KNOWN),
    });
    return { user: view(request, user) };
  });

  app.delete<{ Params: { id: string } }>('/v3/users/:id', async (request, reply) => {
    authorize(ctx, request, 'identity:delete_user', { target: { user: { id: request.params.id } } });
    await identity.deleteUser(request.params.id);
    return reply.code(204).send();
  });

  // As in Keystone, this needs no token: knowing the original password is the proof.
  app.post<{ Params: { id: string } }>('/v3/users/:id/password', { config: { public: true } }, async (request, reply) => {
    const body = validated(request.body, 'user', passwordChange);
    const original = body.original_password as string;
    const password = body.password as string;
    await identity.changePassword(request.params.id, original, password);
    return reply.code(204).send();
  });

  app.get<{ Params: { id: string } }>('/v3/users/:id/projects', async (request) => {
    authorize(ctx, request, 'identity:list_user_projects', { target: { user: { id: request.params.id } } });
    const user = await identity.store.getUser(request.params.id);
    if (!user) throw new NotFound(`Could not find user: ${request.params.id}.`);
    const q = request.query as Json;
    const projects = await identity.store.listProjectsForUser(user.id, {
      name: queryString(q, 'name'), domainId: queryString(q, 'domain_id'), enabled: queryBool(q, 'enabled'),
    });
    return {
      projects: projects.map((p) => projectView(p, v3Url(ctx, request, `/projects/${p.id}`))),
      links: collectionLinks(ctx, request, `/users/${user.id}/projects`),
    };
  });
}
