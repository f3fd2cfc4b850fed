/** /v3/policies: the deprecated policy blobs, kept and returned but never enforced. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFound } from '../../errors.js';
import type { PolicyBlob } from '../delegation-store.js';
import { authorize, collectionLinks, v3Url, type IdentityRouteContext } from './context.js';
import { validated } from './schemas/common.js';
import { policyCreate, policyUpdate } from './schemas/policies.js';
import { extraAttributes, queryString, type Json } from './validate.js';

const KNOWN = ['id', 'type', 'blob', 'links'];

export function registerPolicyRoutes(app: FastifyInstance, ctx: IdentityRouteContext): void {
  const store = ctx.identity.delegation;
  const view = (request: FastifyRequest, p: PolicyBlob) => ({
    ...p.extra, id: p.id, type: p.type, blob: p.blob, links: { self: v3Url(ctx, request, `/policies/${p.id}`) },
  });

  app.get('/v3/policies', async (request) => {
    authorize(ctx, request, 'identity:list_policies');
    const list = await store.listPolicies({ type: queryString(request.query as Json, 'type') });
    return { policies: list.map((p) => view(request, p)), links: collectionLinks(ctx, request, '/policies') };
  });

  app.get<{ Params: { id: string } }>('/v3/policies/:id', async (request) => {
    authorize(ctx, request, 'identity:get_policy');
    const policy = await store.getPolicy(request.params.id);
    if (!policy) throw new NotFound(`Could not find policy: ${request.params.id}.`);
    return { policy: view(request, policy) };
  });

  app.post('/v3/policies', async (request, reply) => {
    const body = validated(request.body, 'policy', policyCreate);
    authorize(ctx, request, 'identity:create_policy');
    const policy = await store.createPolicy({ type: body.type as string, blob: body.blob as string, extra: extraAttributes(body, KNOWN) });
    reply.code(201);
    return { policy: view(request, policy) };
  });

  app.patch<{ Params: { id: string } }>('/v3/policies/:id', async (request) => {
    const body = validated(request.body, 'policy', policyUpdate);
    authorize(ctx, request, 'identity:update_policy');
    const policy = await store.updatePolicy(request.params.id, {
      type: body.type as string | undefined, blob: body.blob as string | undefined, extra: extraAttributes(body, KNOWN),
    });
    return { policy: view(request, policy) };
  });

  app.delete<{ Params: { id: string } }>('/v3/policies/:id', async (request, reply) => {
    authorize(ctx, request, 'identity:delete_policy');
    await store.deletePolicy(request.params.id);
    return reply.code(204).send();
  });
}
