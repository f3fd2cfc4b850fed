/** /v3/auth: issuing, validating and revoking tokens; the caller's catalog and projects. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, Forbidden, NotFound } from '../../errors.js';
import type { AuthRequest, DomainRef, ProjectRef, UserRef } from '../service.js';
import type { TokenPayload } from '../token-format.js';
import { authorize, collectionLinks, v3Url, type IdentityRouteContext } from './context.js';
import { isObject, member, optionalMember, queryFlag, str, type Json } from './validate.js';
import { domainView, projectView, tokenView } from './views.js';

const MAX_NAME = 255;

function domainRef(o: Json, path: string): DomainRef {
  const id = str(o, 'id', path, { maxLength: 64 });
  if (typeof id === 'string') return { id };
  const name = str(o, 'name', path, { maxLength: MAX_NAME });
  if (typeof name === 'string') return { name };
  throw new BadRequest(`Invalid input for field '${path}': expecting to find id or name in domain`);
}

function userRef(user: Json, path: string): UserRef {
  const id = str(user, 'id', path, { maxLength: 64 });
  if (typeof id === 'string') return { id };
  const name = str(user, 'name', path, { maxLength: MAX_NAME });
  if (typeof name !== 'string') throw new BadRequest(`Invalid input for field '${path}': expecting to find id or name in user`);
  const domain = optionalMember(user, 'domain', path);
  if (!domain) throw new BadRequest(`Invalid input for field '${path}': expecting to find domain in user`);
  return { name, domain: domainRef(domain, `${path}/domain`) };
}

function projectRef(project: Json, path: string): ProjectRef {
  const id = str(project, 'id', path, { maxLength: 64 });
  if (typeof id === 'string') return { id };
  const name = str(project, 'name', path, { maxLength: MAX_NAME });
  if (typeof name !== 'string') throw new BadRequest(`Invalid input for field '${path}': expecting to find id or name in project`);
  const domain = optionalMember(project, 'domain', path);
  if (!domain) throw new BadRequest(`Invalid input for field '${path}': expecting to find domain in project`);
  return { name, domain: domainRef(domain, `${path}/domain`) };
}

/** Reads Keystone's auth request body; shape errors are 400, credentials are checked later (401). */
export function parseAuthRequest(body: unknown): AuthRequest {
  const auth = member(body, 'auth');
  const identity = member(auth, 'identity', 'auth');
  const methods = identity.methods;
  if (!Array.isArray(methods) || methods.length === 0 || !methods.every((m) => typeof m === 'string')) {
    throw new BadRequest("Invalid input for field 'auth/identity/methods': must be a non-empty list of method names");
  }
  const req: AuthRequest = { methods: methods as string[] };
  if (methods.includes('password')) {
    const password = member(identity, 'password', 'auth/identity');
    const user = member(password, 'user', 'auth/identity/password');
    const secret = str(user, 'password', 'auth/identity/password/user', { maxLength: 4096 });
    req.password = { user: userRef(user, 'auth/identity/password/user'), password: secret ?? '' };
  }
  if (methods.includes('application_credential')) {
    const cred = member(identity, 'application_credential', 'auth/identity');
    const path = 'auth/identity/application_credential';
    const secret = str(cred, 'secret', path, { required: true, maxLength: 4096 });
    const id = str(cred, 'id', path, { maxLength: 64 });
    if (typeof id === 'string') req.applicationCredential = { ref: { id }, secret };
    else {
      const name = str(cred, 'name', path, { maxLength: MAX_NAME });
      const user = optionalMember(cred, 'user', path);
      if (typeof name !== 'string' || !user) {
        throw new BadRequest(`Invalid input for field '${path}': expecting to find id, or name and user, in application_credential`);
      }
      req.applicationCredential = { ref: { name, user: userRef(user, `${path}/user`) }, secret };
    }
  }
  if (methods.includes('token')) {
    const token = member(identity, 'token', 'auth/identity');
    req.token = { id: str(token, 'id', 'auth/identity/token', { required: true, maxLength: 8192 }) };
  }
  const scope = auth.scope;
  if (scope !== undefined && scope !== 'unscoped') {
    if (!isObject(scope)) throw new BadRequest("Invalid input for field 'auth/scope': must be an object or \"unscoped\"");
    if (scope.project !== undefined) {
      req.scope = { project: projectRef(member(scope, 'project', 'auth/scope'), 'auth/scope/project') };
    } else if (scope.domain !== undefined || scope.system !== undefined || scope['OS-TRUST:trust'] !== undefined) {
      throw new BadRequest('Only project-scoped and unscoped tokens are supported.');
    }
  }
  return req;
}

export function registerTokenRoutes(app: FastifyInstance, ctx: IdentityRouteContext): void {
  const { identity } = ctx;

  app.post('/v3/auth/tokens', { config: { public: true } }, async (request, reply) => {
    const req = parseAuthRequest(request.body);
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
