/** /v3/domains: a domain must be disabled before it is deleted, and the default one stays. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFound } from '../../errors.js';
import type { Domain } from '../model.js';
import { authorize, collectionLinks, v3Url, type IdentityRouteContext } from './context.js';
import { validated } from './schemas/common.js';
import { domainCreate, domainUpdate } from './schemas/domains.js';
import { queryBool, queryString, type Json } from './validate.js';
import { domainView } from './views.js';

export function registerDomainRoutes(app: FastifyInstance, ctx: IdentityRouteContext): void {
  const { identity } = ctx;
  const view = (request: FastifyRequest, d: Domain) => domainView(d, v3Url(ctx, request, `/domains/${d.id}`));

  app.get('/v3/domains', async (request) => {
    authorize(ctx, request, 'identity:list_domains');
    const q = request.query as Json;
    const domains = await identity.store.listDomains({ name: queryString(q, 'name'), enabled: queryBool(q, 'enabled') });
    return { domains: domains.map((d) => view(request, d)), links: collectionLinks(ctx, request, '/domains') };
  });

  app.get<{ Params: { id: string } }>('/v3/domains/:id', async (request) => {
    authorize(ctx, request, 'identity:get_domain', { target: { domain: { id: request.params.id } } });
    const domain = await identity.store.getDomain(request.params.id);
    if (!domain) throw new NotFound(`Could not find domain: ${request.params.id}.`);
    return { domain: view(request, domain) };
  });

  app.post('/v3/domains', async (request, reply) => {
    const body = validated(request.body, 'domain', domainCreate);
    authorize(ctx, request, 'identity:create_domain');
    const domain = await identity.store.createDomain({
      name: body.name as string,
      description: (body.description as string | null | undefined) ?? '',
      enabled: body.enabled as boolean | undefined,
    });
    reply.code(201);
    return { domain: view(request, domain) };
  });

  app.patch<{ Params: { id: string } }>('/v3/domains/:id', async (request) => {
    const body = validated(request.body, 'domain', domainUpdate);
    authorize(ctx, request, 'identity:update_domain', { target: { domain: { id: request.params.id } } });
    const domain = await identity.updateDomain(request.params.id, {
      name: body.name as string | undefined,
      description: body.description === null ? '' : body.description as string | undefined,
      enabled: body.enabled as boolean | undefined,
    });
    return { domain: view(request, domain) };
  });

  app.delete<{ Params: { id: string } }>('/v3/domains/:id', async (request, reply) => {
    authorize(ctx, request, 'identity:delete_domain', { target: { domain: { id: request.params.id } } });
    await identity.deleteDomain(request.params.id);
    return reply.code(204).send();
  });
}
