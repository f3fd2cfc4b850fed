/** /v3/auth: issuing, validating and revoking tokens; the caller's catalog and projects. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, Forbidden, NotFound } from '../../errors.js';
import type { TokenPayload } from '../token-format.js';
import { authorize, collectionLinks, v3Url, type IdentityRouteContext } from './context.js';
import { queryFlag, type Json } from './validate.js';
import { authRequestOf } from './schemas/tokens.js';
import { domainView, projectView, tokenView } from './views.js';

export function registerTokenRoutes(app: FastifyInstance, ctx: IdentityRouteContext): void {
  const { identity } = ctx;

  app.post('/v3/auth/tokens', { config: { public: true } }, async (request, reply) => {
    const req = authRequestOf(request.body);
    const issued = await identity.authenticate(req);
    const catalog = queryFlag(request.query as Json, 'nocatalog') ? undefined : await identity.catalog();
    reply.code(201).header('x-subject-token', issued.id);
    return tokenView(issued.payload, catalog);
  });

  const subject = async (request: FastifyRequest): Promise<{ id: string; payload: TokenPayload }> => {
    const id = request.headers['x-subject-token'];
    if (typeof id !== 'string' || id.length === 0) throw new BadRequest('X-Subject-Token header is required.');
    const payload = await identity.verify(id);
    if (!payload) throw new NotFound('Could not find token.');
    return { id, payload };
  };

  app.get('/v3/auth/tokens', async (request, reply) => {
    const { id, payload } = await subject(request);
    authorize(ctx, request, request.method === 'HEAD' ? 'identity:check_token' : 'identity:validate_token',
      { target: { token: { user_id: payload.user.id } } });
    reply.header('x-subject-token', id);
    const catalog = queryFlag(request.query as Json, 'nocatalog') ? undefined : await identity.catalog();
    return tokenView(payload, catalog);
  });

  app.delete('/v3/auth/tokens', async (request, reply) => {
    const { payload } = await subject(request);
    authorize(ctx, request, 'identity:revoke_token', { target: { token: { user_id: payload.user.id } } });
    await identity.revokeToken(payload);
    return reply.code(204).send();
  });

  app.get('/v3/auth/catalog', async (request) => {
    if (!request.auth.projectId) throw new Forbidden('A project-scoped token is required to produce a service catalog.');
    return { catalog: await identity.catalog(), links: collectionLinks(ctx, request, '/auth/catalog') };
  });

  app.get('/v3/auth/projects', async (request) => {
    const projects = await identity.store.listProjectsForUser(request.auth.userId, { enabled: true });
    return {
      projects: projects.map((p) => projectView(p, v3Url(ctx, request, `/projects/${p.id}`))),
      links: collectionLinks(ctx, request, '/auth/projects'),
    };
  });

  // The domains the caller holds a role on, directly or through a group.
  app.get('/v3/auth/domains', async (request) => {
    const userId = request.auth.userId;
    const groupIds = await identity.groups.groupIdsOfUser(userId);
    const grants = [
      ...await identity.groups.listGrants({ types: ['UserDomain'], actorIds: [userId] }),
      ...await identity.groups.listGrants({ types: ['GroupDomain'], actorIds: groupIds }),
    ];
    const domains = [...(await identity.store.domainsById(grants.map((g) => g.targetId))).values()]
      .filter((d) => d.enabled).sort((a, b) => a.name.localeCompare(b.name));
    return {
      domains: domains.map((d) => domainView(d, v3Url(ctx, request, `/domains/${d.id}`))),
      links: collectionLinks(ctx, request, '/auth/domains'),
    };
  });

  // There are no system-scoped role assignments here, so no one has the system.
  app.get('/v3/auth/system', async (request) => ({ system: [], links: collectionLinks(ctx, request, '/auth/system') }));
}
