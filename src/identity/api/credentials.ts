/**
 * /v3/credentials. The blob is the client's text, returned as given; an ec2
 * blob must be JSON naming its access key, which becomes the credential's id.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFound } from '../../errors.js';
import type { Credential } from '../delegation-store.js';
import { authorize, collectionLinks, v3Url, type IdentityRouteContext } from './context.js';
import { validated } from './schemas/common.js';
import { checkEc2Blob, credentialCreate, credentialUpdate } from './schemas/credentials.js';
import { extraAttributes, queryString, type Json } from './validate.js';

const KNOWN = ['id', 'user_id', 'project_id', 'type', 'blob', 'links'];

export function registerCredentialRoutes(app: FastifyInstance, ctx: IdentityRouteContext): void {
  const { identity } = ctx;
  const store = identity.delegation;
  const view = (request: FastifyRequest, c: Credential) => ({
    ...c.extra, id: c.id, user_id: c.userId, project_id: c.projectId, type: c.type, blob: c.blob,
    links: { self: v3Url(ctx, request, `/credentials/${c.id}`) },
  });
  const target = (c: { userId: string }) => ({ target: { credential: { user_id: c.userId } } });
  const requireRefs = async (userId: string | undefined, projectId: string | null | undefined): Promise<void> => {
    if (userId !== undefined && !(await identity.store.getUser(userId))) throw new NotFound(`Could not find user: ${userId}.`);
    if (projectId && !(await identity.store.getProject(projectId))) throw new NotFound(`Could not find project: ${projectId}.`);
  };

  app.get('/v3/credentials', async (request) => {
    const q = request.query as Json;
    authorize(ctx, request, 'identity:list_credentials');
    const admin = request.auth.roles.includes('admin');
    // Without the admin role a caller sees only its own, whatever filter it sends.
    const list = await store.listCredentials({
      userId: admin ? queryString(q, 'user_id') : request.auth.userId, type: queryString(q, 'type'),
    });
    return { credentials: list.map((c) => view(request, c)), links: collectionLinks(ctx, request, '/credentials') };
  });

  app.get<{ Params: { id: string } }>('/v3/credentials/:id', async (request) => {
    const cred = await store.getCredential(request.params.id);
    authorize(ctx, request, 'identity:get_credential', target({ userId: cred?.userId ?? '' }));
    if (!cred) throw new NotFound(`Could not find credential: ${request.params.id}.`);
    return { credential: view(request, cred) };
  });

  app.post('/v3/credentials', async (request, reply) => {
    const body = validated(request.body, 'credential', credentialCreate);
    const userId = body.user_id as string;
    authorize(ctx, request, 'identity:create_credential', target({ userId }));
    checkEc2Blob(body.type as string, body.blob as string);
    await requireRefs(userId, body.project_id as string | undefined);
    const cred = await store.createCredential({
      userId, projectId: (body.project_id as string | undefined) ?? null, type: body.type as string, blob: body.blob as string,
      extra: extraAttributes(body, KNOWN),
    });
    reply.code(201);
    return { credential: view(request, cred) };
  });

  app.patch<{ Params: { id: string } }>('/v3/credentials/:id', async (request) => {
    const body = validated(request.body, 'credential', credentialUpdate);
    const current = await store.getCredential(request.params.id);
    authorize(ctx, request, 'identity:update_credential', target({ userId: current?.userId ?? '' }));
    if (!current) throw new NotFound(`Could not find credential: ${request.params.id}.`);
    const type = (body.type as string | undefined) ?? current.type;
    const blob = (body.blob as string | undefined) ?? current.blob;
    checkEc2Blob(type, blob);
    if (body.user_id !== undefined && body.user_id !== current.userId) {
      authorize(ctx, request, 'identity:update_credential', target({ userId: body.user_id as string }));
    }
    await requireRefs(body.user_id as string | undefined, body.project_id as string | undefined);
    const cred = await store.updateCredential(request.params.id, {
      userId: body.user_id as string | undefined, projectId: body.project_id as string | undefined,
      type: body.type as string | undefined, blob: body.blob as string | undefined, extra: extraAttributes(body, KNOWN),
    });
    return { credential: view(request, cred) };
  });

  app.delete<{ Params: { id: string } }>('/v3/credentials/:id', async (request, reply) => {
    const current = await store.getCredential(request.params.id);
    authorize(ctx, request, 'identity:delete_credential', target({ userId: current?.userId ?? '' }));
    if (!current) throw new NotFound(`Could not find credential: ${request.params.id}.`);
    await store.deleteCredential(request.params.id);
    return reply.code(204).send();
  });
}
