/**
 * The compute API (Nova v2.1) plugin, registered at /compute. It negotiates
 * the microversion for every request and hands each resource to its module.
 */
import type { FastifyInstance } from 'fastify';
import { applyServiceScope } from '../../http/service-scope.js';
import { negotiateVersion, versionHeaders } from '../../http/microversion.js';
import { COMPUTE_API_VERSIONS } from './versions.js';
import type { ComputeApiDeps } from './deps.js';
import { registerVersionRoutes } from './version-documents.js';
import { registerFlavorRoutes } from './flavors.js';
import { registerKeypairRoutes } from './keypairs.js';
import { registerLimitsRoutes } from './limits.js';
import { registerAvailabilityZoneRoutes } from './availability-zones.js';
import { registerHypervisorRoutes } from './hypervisors.js';
import { registerServiceRoutes } from './services.js';
import { registerServerRoutes } from './servers.js';
import { registerServerMetadataRoutes } from './server-metadata.js';
import { registerInstanceActionRoutes } from './instance-actions.js';
import { registerAggregateRoutes } from './aggregates.js';
import { registerProxyRoutes } from './proxies.js';
import { registerComputeResourceRoutes } from './compute-resources.js';

/** What every compute route shares: Nova's error bodies, token auth, the request id header, microversions. */
export function applyComputeScope(app: FastifyInstance, deps: Pick<ComputeApiDeps, 'tokens'>): void {
  applyServiceScope(app, { style: 'compute', tokens: deps.tokens });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-compute-request-id', request.id);
    // Version documents answer whatever version was asked for (as Nova's do); everything else negotiates.
    if (request.routeOptions.config?.public) {
      request.apiVersion = negotiateVersion({}, COMPUTE_API_VERSIONS);
      return;
    }
    request.apiVersion = negotiateVersion(request.headers, COMPUTE_API_VERSIONS);
    reply.headers(versionHeaders(request.apiVersion, COMPUTE_API_VERSIONS));
  });
}

export async function computeApi(app: FastifyInstance, deps: ComputeApiDeps): Promise<void> {
  applyComputeScope(app, deps);
  registerVersionRoutes(app, deps);
  await app.register(async (v21) => {
    registerServerRoutes(v21, deps);
    registerServerMetadataRoutes(v21, deps);
    registerInstanceActionRoutes(v21, deps);
    registerFlavorRoutes(v21, deps);
    registerKeypairRoutes(v21, deps);
    registerLimitsRoutes(v21, deps);
    registerAvailabilityZoneRoutes(v21, deps);
    registerHypervisorRoutes(v21, deps);
    registerServiceRoutes(v21, deps);
    registerAggregateRoutes(v21, deps);
    registerProxyRoutes(v21, deps);
    registerComputeResourceRoutes(v21, deps);
  }, { prefix: '/v2.1' });
}
