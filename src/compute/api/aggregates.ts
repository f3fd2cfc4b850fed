/**
 * /os-aggregates: host aggregates and the availability zones they make (Nova's
 * aggregates controller). Administrators only; the rules live in AggregateAPI.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest, NotFound } from '../../errors.js';
import { showValue, validate } from '../../http/validation.js';
import type { ComputeApiDeps } from './deps.js';
import {
  addHostBody, cacheImagesBody, createAggregateBody, removeHostBody, setMetadataBody, updateAggregateBody,
  type CreateAggregateBody, type HostActionBody, type SetMetadataBody, type UpdateAggregateBody,
} from './schemas/aggregates.js';
import { aggregateView } from './views/aggregates.js';

type P = { Params: { id: string } };

// Bodies are checked before policy, as Nova's validation decorator runs before the method.

/** Nova's validate_integer on the path id: any integer, else 400. */
function aggregateId(raw: string): number {
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw new BadRequest('Invalid input received: id must be an integer');
  return Number(raw.trim());
}

export function registerAggregateRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { policy, computeApi } = deps;
  const aggregates = computeApi.aggregates;
  const rule = (r: string) => `os_compute_api:os-aggregates:${r}`;
  const atLeastOf = (request: FastifyRequest) => (v: string) => request.apiVersion.atLeast(v);

  app.get('/os-aggregates', async (request) => {
    policy.authorize(rule('index'), {}, request.auth);
    const atLeast = atLeastOf(request);
    return { aggregates: (await aggregates.list()).map((a) => aggregateView(a, atLeast)) };
  });

  app.post('/os-aggregates', async (request) => {
    validate(createAggregateBody, request.body);
    policy.authorize(rule('create'), {}, request.auth);
    const { name, availability_zone: zone } = (request.body as CreateAggregateBody).aggregate;
    const agg = await aggregates.create(name, zone ?? null);
    return { aggregate: aggregateView(agg, atLeastOf(request), { forCreate: true }) };
  });

  app.get<P>('/os-aggregates/:id', async (request) => {
    policy.authorize(rule('show'), {}, request.auth);
    const agg = await aggregates.get(aggregateId(request.params.id));
    return { aggregate: aggregateView(agg, atLeastOf(request)) };
  });

  app.put<P>('/os-aggregates/:id', async (request) => {
    validate(updateAggregateBody, request.body);
    policy.authorize(rule('update'), {}, request.auth);
    const id = aggregateId(request.params.id);
    const updates = { ...(request.body as UpdateAggregateBody).aggregate };
    if (updates.name !== undefined) updates.name = updates.name.trim();
    const agg = await aggregates.update(id, updates);
    return { aggregate: aggregateView(agg, atLeastOf(request)) };
  });

  app.delete<P>('/os-aggregates/:id', async (request, reply) => {
    policy.authorize(rule('delete'), {}, request.auth);
    await aggregates.delete(aggregateId(request.params.id));
    return reply.code(200).send();
  });

  app.post<P>('/os-aggregates/:id/action', async (request) => {
    const body = request.body as Record<string, unknown> | null;
    const action = body && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body)[0] : undefined;
    const atLeast = atLeastOf(request);
    switch (action) {
      case 'add_host': {
        validate(addHostBody, body);
        policy.authorize(rule('add_host'), {}, request.auth);
        const agg = await aggregates.addHost(aggregateId(request.params.id), (body!.add_host as HostActionBody).host);
        return { aggregate: aggregateView(agg, atLeast) };
      }
      case 'remove_host': {
        validate(removeHostBody, body);
        policy.authorize(rule('remove_host'), {}, request.auth);
        const agg = await aggregates.removeHost(aggregateId(request.params.id), (body!.remove_host as HostActionBody).host);
        return { aggregate: aggregateView(agg, atLeast) };
      }
      case 'set_metadata': {
        validate(setMetadataBody, body);
        policy.authorize(rule('set_metadata'), {}, request.auth);
        const agg = await aggregates.setMetadata(aggregateId(request.params.id), (body as unknown as SetMetadataBody).set_metadata.metadata);
        return { aggregate: aggregateView(agg, atLeast) };
      }
      default:
        throw new BadRequest(`There is no such action: ${action === undefined ? 'None' : showValue(action)}`);
    }
  });

  /**
   * Image pre-caching (2.81). No compute host here caches images ahead of a
   * build, so each counts as unsupported and the request is accepted with
   * nothing to do, as Nova answers when its computes cannot.
   */
  app.post<P>('/os-aggregates/:id/images', async (request, reply: FastifyReply) => {
    if (!request.apiVersion.atLeast('2.81')) throw new NotFound('The resource could not be found.');
    validate(cacheImagesBody, request.body);
    policy.authorize('compute:aggregates:images', {}, request.auth);
    const id = aggregateId(request.params.id);
    const ids = (request.body as { cache: Array<{ id: string }> }).cache.map((c) => c.id);
    if (new Set(ids).size !== ids.length) throw new BadRequest('Duplicate images in request');
    await aggregates.get(id);
    return reply.code(202).send();
  });
}
