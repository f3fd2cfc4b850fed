/** GET /extensions and /extensions/{alias} (Nova's extension_info). */
import type { FastifyInstance } from 'fastify';
import { NotFound } from '../../errors.js';
import type { ComputeApiDeps } from './deps.js';
import { EXTENSIONS } from './views/extensions.js';

export function registerExtensionRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { policy } = deps;

  app.get('/extensions', async (request) => {
    policy.authorize('os_compute_api:extensions', {}, request.auth);
    return { extensions: EXTENSIONS };
  });

  app.get<{ Params: { alias: string } }>('/extensions/:alias', async (request) => {
    policy.authorize('os_compute_api:extensions', {}, request.auth);
    const ext = EXTENSIONS.find((e) => e.alias === request.params.alias);
    if (!ext) throw new NotFound('The resource could not be found.');
    return { extension: ext };
  });
}
