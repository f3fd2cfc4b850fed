/** A provider's traits (1.6), aggregates (1.1), usages and allocations. */
import type { FastifyInstance } from 'fastify';
import { allow, atLeast, noContent, since, type PlacementRouteDeps } from './common.js';
import * as v from './validate.js';

export function registerProviderAssociationRoutes(app: FastifyInstance, deps: PlacementRouteDeps): void {
  const { placement } = deps;
  type P = { Params: { uuid: string } };

  app.get<P>('/resource_providers/:uuid/traits', async (req) => {
    since(req, '1.6');
    allow(deps, req, 'placement:resource_providers:traits:list');
    const { traits, generation } = await placement.getTraits(req.params.uuid);
    return { traits, resource_provider_generation: generation };
  });

  app.put<P>('/resource_providers/:uuid/traits', async (req) => {
    since(req, '1.6');
    allow(deps, req, 'placement:resource_providers:traits:update');
    const body = v.object(req.body, 'body');
    v.only(body, ['traits', 'resource_provider_generation'], 'body');
    v.required(body, ['traits', 'resource_provider_generation'], 'body');
    const names = v.array(body.traits, 'traits').map((t, i) => v.string(t, `traits[${i}]`, { minLength: 1, maxLength: 255 }));
    if (new Set(names).size !== names.length) v.invalid('traits has non-unique elements');
    const generation = v.integer(body.resource_provider_generation, 'resource_provider_generation');
    const res = await placement.setTraits(req.params.uuid, names, generation);
    return { traits: res.traits, resource_provider_generation: res.generation };
  });

  app.delete<P>('/resource_providers/:uuid/traits', async (req, reply) => {
    since(req, '1.6');
    allow(deps, req, 'placement:resource_providers:traits:delete');
    await placement.setTraits(req.params.uuid, []);
    return noContent(reply);
  });

  app.get<P>('/resource_providers/:uuid/aggregates', async (req) => {
    since(req, '1.1');
    allow(deps, req, 'placement:resource_providers:aggregates:list');
    const { aggregates, generation } = await placement.getAggregates(req.params.uuid);
    return atLeast(req, '1.19') ? { aggregates, resource_provider_generation: generation } : { aggregates };
  });

  app.put<P>('/resource_providers/:uuid/aggregates', async (req) => {
    since(req, '1.1');
    allow(deps, req, 'placement:resource_providers:aggregates:update');
    let list: unknown;
    let generation: number | undefined;
    if (atLeast(req, '1.19')) {
      const body = v.object(req.body, 'body');
      v.only(body, ['aggregates', 'resource_provider_generation'], 'body');
      v.required(body, ['aggregates', 'resource_provider_generation'], 'body');
      list = body.aggregates;
      generation = v.integer(body.resource_provider_generation, 'resource_provider_generation');
    } else {
      list = req.body;
    }
    const aggs = v.array(list, 'aggregates').map((a, i) => v.uuid(a, `aggregates[${i}]`));
    if (new Set(aggs).size !== aggs.length) v.invalid('aggregates has non-unique elements');
    const res = await placement.setAggregates(req.params.uuid, aggs, generation);
    return atLeast(req, '1.19') ? { aggregates: res.aggregates, resource_provider_generation: res.generation } : { aggregates: res.aggregates };
  });

  app.get<P>('/resource_providers/:uuid/usages', async (req) => {
    allow(deps, req, 'placement:resource_providers:usages');
    const { generation, usages } = await placement.getProviderUsagesWithGeneration(req.params.uuid);
    return { resource_provider_generation: generation, usages };
  });

  app.get<P>('/resource_providers/:uuid/allocations', async (req) => {
    allow(deps, req, 'placement:resource_providers:allocations:list');
    const { generation, allocations } = await placement.getProviderAllocations(req.params.uuid);
    return { resource_provider_generation: generation, allocations };
  });
}
