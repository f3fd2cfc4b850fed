/** A provider's traits (1.6), aggregates (1.1), usages and allocations. */
import type { FastifyInstance } from 'fastify';
import { allow, atLeast, noContent, since, versionOf, type PlacementRouteDeps } from './common.js';
import { placement as words, validate } from '../../http/validation.js';
import { providerAggregatesUpdate, providerTraitsUpdate } from './schemas/associations.js';

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
    validate(providerTraitsUpdate, req.body, words);
    const body = req.body as { traits: string[]; resource_provider_generation: number };
    const res = await placement.setTraits(req.params.uuid, body.traits, body.resource_provider_generation);
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
    validate(providerAggregatesUpdate(versionOf(req)), req.body, words);
    let aggs: string[];
    let generation: number | undefined;
    if (atLeast(req, '1.19')) {
      const body = req.body as { aggregates: string[]; resource_provider_generation: number };
      aggs = body.aggregates;
      generation = body.resource_provider_generation;
    } else {
      aggs = req.body as string[];
    }
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
