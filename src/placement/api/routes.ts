/**
 * The placement API plugin, registered at /placement. It negotiates
 * placement's own microversion on every request, answers the version document
 * without a token, and hands each resource to its module.
 */
import type { FastifyInstance } from 'fastify';
import type { TokenValidator } from '../../http/auth.js';
import { applyServiceScope } from '../../http/service-scope.js';
import { negotiateVersion, versionHeaders } from '../../http/microversion.js';
import type { Authorizer } from '../../policy/types.js';
import type { PlacementService } from '../service.js';
import { PLACEMENT_API_VERSIONS } from './versions.js';
import { defaultPlacementPolicy } from './policy.js';
import type { PlacementRouteDeps } from './common.js';
import { registerResourceProviderRoutes } from './resource-providers.js';
import { registerInventoryRoutes } from './inventories.js';
import { registerProviderAssociationRoutes } from './associations.js';
import { registerAllocationRoutes } from './allocations.js';
import { registerCandidateRoutes } from './candidates.js';
import { registerCatalogRoutes } from './catalog.js';
import { registerUsageRoutes } from './usages.js';

export interface PlacementApiOptions {
  placement: PlacementService;
  /** Placement's rules; without one, placement's defaults (admin, and a project's readers for its own usages). */
  policy?: Authorizer;
  /** Validates X-Auth-Token; without one no route is reachable except the version document. */
  tokens?: TokenValidator;
}

export async function placementApi(app: FastifyInstance, opts: PlacementApiOptions): Promise<void> {
  applyServiceScope(app, { style: 'placement', tokens: opts.tokens });
  const deps: PlacementRouteDeps = { placement: opts.placement, policy: opts.policy ?? defaultPlacementPolicy, base: app.prefix };

  app.addHook('onRequest', async (request, reply) => {
    // Headers first, so even a refused version is answered as placement.
    request.placementVersion = negotiateVersion(request.headers, PLACEMENT_API_VERSIONS);
    reply.headers(versionHeaders(request.placementVersion, PLACEMENT_API_VERSIONS));
  });
  app.addHook('onSend', async (request, reply, payload) => {
    // 1.15: GETs say they must not be cached and when they were made.
    if (request.method === 'GET' && reply.statusCode === 200 && request.placementVersion?.atLeast('1.15')) {
      reply.header('cache-control', 'no-cache');
      reply.header('last-modified', new Date().toUTCString());
    }
    return payload;
  });

  app.get('/', { config: { public: true } }, async () => ({
    versions: [{
      id: 'v1.0',
      max_version: PLACEMENT_API_VERSIONS.max,
      min_version: PLACEMENT_API_VERSIONS.min,
      status: 'CURRENT',
      links: [{ rel: 'self', href: '' }],
    }],
  }));

  registerResourceProviderRoutes(app, deps);
  registerInventoryRoutes(app, deps);
  registerProviderAssociationRoutes(app, deps);
  registerAllocationRoutes(app, deps);
  registerCandidateRoutes(app, deps);
  registerCatalogRoutes(app, deps);
  registerUsageRoutes(app, deps);
}
