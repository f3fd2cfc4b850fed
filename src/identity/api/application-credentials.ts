/**
 * /v3/users/{id}/application_credentials: a user lets an application act on
 * one project with some of its roles. The secret is shown once, at creation,
 * and kept only as a hash.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, Forbidden, NotFound } from '../../errors.js';
import type { ApplicationCredential } from '../delegation-store.js';
import type { Role } from '../model.js';
import { authorize, collectionLinks, v3Url, type IdentityRouteContext } from './context.js';
import { validated } from './schemas/common.js';
import { applicationCredentialCreate } from './schemas/application-credentials.js';
import { parseExpiry, showNaiveExpiry } from '../times.js';
import { queryString, type Json } from './validate.js';

export function registerApplicationCredentialRoutes(app: FastifyInstance, ctx: IdentityRouteContext): void {
  const { identity } = ctx;
  const store = identity.delegation;
  const path = (userId: string, id?: string) => `/users/${userId}/application_credentials${id ? `/${id}` : ''}`;

  const view = async (request: FastifyRequest, c: ApplicationCredential): Promise<Json> => {
    const roles = await identity.store.rolesById(c.roleIds);
    return {
      id: c.id,
      name: c.name,
      description: c.description || null,
      user_id: c.userId,
      project_id: c.projectId,
      expires_at: showNaiveExpiry(c.expiresAt),
      unrestricted: c.unrestricted,
      roles: c.roleIds.map((id) => roles.get(id)).filter((r): r is Role => r !== undefined)
        .map((r) => ({ id: r.id, name: r.name, domain_id: null })),
      access_rules: [],
      links: { self: v3Url(ctx, request, path(c.userId, c.id)) },
    };
  };
  const target = (userId: string) => ({ user_id: userId, target: { user: { id: userId } } });
  const requireUser = async (id: string): Promise<void> => {
    if (!(await identity.store.getUser(id))) throw new NotFound(`Could not find user: ${id}.`);
  };
  const requireCred = async (userId: string, id: string): Promise<ApplicationCredential> => {
    const cred = await store.getAppCred(id);
    if (!cred || cred.userId !== userId) throw new NotFound(`Could not find Application Credential: ${id}.`);
    return cred;
  };

  app.post<{ Params: { userId: string } }>('/v3/users/:userId/application_credentials', async (request, reply) => {
    const body = validated(request.body, 'application_credential', applicationCredentialCreate);
    const { userId } = request.params;
    authorize(ctx, request, 'identity:create_application_credential', target(userId));
    if (request.auth.userId !== userId) throw new Forbidden('You are not authorized to perform the requested action: an application credential is made by its own user.');
    if (!request.auth.projectId) throw new Forbidden('You are not authorized to perform the requested action: a project-scoped token is required.');
    const caller = await identity.verify(request.auth.token);
    if (caller?.appCred?.restricted) {
      throw new Forbidden('You are not authorized to perform the requested action: a restricted application credential cannot make another.');
    }
    // The roles default to those of the token; any named must be held on the project now.
    const tokenRoles = caller?.roles ?? [];
    const refs = (body.roles as Array<{ id?: string; name?: string }> | undefined) ?? [];
    const held = refs.length === 0 ? [] : await identity.store.effectiveRoles(userId, request.auth.projectId);
    const roleIds = refs.length === 0 ? tokenRoles.map((r) => r.id) : refs.map((ref) => {
      const found = held.find((r) => (ref.id !== undefined ? r.id === ref.id : r.name === ref.name));
      if (!found) throw new NotFound(`Could not find role assignment with role: ${ref.id ?? ref.name!}, user or group: ${userId}, project, domain, or system: ${request.auth.projectId}.`);
      return found.id;
    });
    if (roleIds.length === 0) throw new BadRequest('An application credential needs at least one role.');
    const secret = (body.secret as string | null | undefined) ?? randomBytes(64).toString('base64url');
    const cred = await store.createAppCred({
      name: body.name as string,
      userId,
      projectId: request.auth.projectId,
      description: (body.description as string | null | undefined) ?? '',
      expiresAt: parseExpiry(body.expires_at),
      unrestricted: body.unrestricted === true,
      roleIds,
      secretHash: await identity.store.hashPassword(secret),
    });
    reply.code(201);
    return { application_credential: { ...(await view(request, cred)), secret } };
  });

  app.get<{ Params: { userId: string } }>('/v3/users/:userId/application_credentials', async (request) => {
    const { userId } = request.params;
    authorize(ctx, request, 'identity:list_application_credentials', target(userId));
    await requireUser(userId);
    const list = await store.listAppCreds(userId, { name: queryString(request.query as Json, 'name') });
    const out: Json[] = [];
    for (const c of list) out.push(await view(request, c));
    return { application_credentials: out, links: collectionLinks(ctx, request, path(userId)) };
  });

  app.get<{ Params: { userId: string; id: string } }>('/v3/users/:userId/application_credentials/:id', async (request) => {
    const { userId, id } = request.params;
    authorize(ctx, request, 'identity:get_application_credential', target(userId));
    await requireUser(userId);
    return { application_credential: await view(request, await requireCred(userId, id)) };
  });

  app.delete<{ Params: { userId: string; id: string } }>('/v3/users/:userId/application_credentials/:id', async (request, reply) => {
    const { userId, id } = request.params;
    authorize(ctx, request, 'identity:delete_application_credential', target(userId));
    await requireUser(userId);
    await requireCred(userId, id);
    await identity.deleteAppCred(id);
    return reply.code(204).send();
  });
}
