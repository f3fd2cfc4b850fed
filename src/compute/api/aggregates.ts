/**
 * /os-aggregates: host aggregates are not built yet, so the list is honestly
 * empty (clients such as `openstack hypervisor show` read it) and creating one
 * says so.
 */
import type { FastifyInstance } from 'fastify';
import { NotFound, NotImplementedError } from '../../errors.js';
import type { ComputeApiDeps } from './deps.js';

export function registerAggregateRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const rule = (r: string) => `os_compute_api:os-aggregates:${r}`;
  app.get('/os-aggregates', async (request) => {
    deps.policy.authorize(rule('index'), {}, request.auth);
    return { aggregates: [] };
  });
  app.get<{ Params: { id: string } }>('/os-aggregates/:id', async (request) => {
    deps.policy.authorize(rule('show'), {}, request.auth);
    throw new NotFound(`Aggregate ${request.params.id} could not be found.`);
  });
  app.post('/os-aggregates', async (request) => {
    deps.policy.authorize(rule('create'), {}, request.auth);
    throw new NotImplementedError('Host aggregates are not supported yet.');
  });
}
