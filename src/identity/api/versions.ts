/** Version discovery, as keystoneauth1 reads it: GET / answers 300 with the list, GET /v3 the one. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { identityBase, type IdentityRouteContext } from './context.js';

function v3Document(ctx: IdentityRouteContext, request: FastifyRequest): Record<string, unknown> {
  return {
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${identityBase(ctx, request)}/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

export function registerVersionRoutes(app: FastifyInstance, ctx: IdentityRouteContext): void {
  app.get('/', { config: { public: true } }, async (request, reply) => {
    const doc = v3Document(ctx, request);
    reply.code(300).header('location', `${identityBase(ctx, request)}/v3/`);
    return { versions: { values: [doc] } };
  });
  app.get('/v3', { config: { public: true } }, async (request) => ({ version: v3Document(ctx, request) }));
}
