/** /resource_providers: list (with filters), create, show, update, delete. */
import type { FastifyInstance } from 'fastify';
import { BadRequest } from '../../errors.js';
import { ProviderNotFound } from '../errors.js';
import type { ProviderListFilters } from '../types.js';
import { allow, atLeast, noContent, providerView, versionOf, type PlacementRouteDeps } from './common.js';
import { placement as words, placementQuery, validate } from '../../http/validation.js';
import { inTreeOf, many, parseMemberOf, parseRequired, parseResources, single, traitNames, type Query } from './schemas/queries.js';
import { providerCreate, providerListQuery, providerUpdate } from './schemas/resource-providers.js';

export function registerResourceProviderRoutes(app: FastifyInstance, deps: PlacementRouteDeps): void {
  const { placement, base } = deps;

  app.get('/resource_providers', async (req) => {
    allow(deps, req, 'placement:resource_providers:list');
    const q = req.query as Query;
    validate(providerListQuery(versionOf(req)), q, placementQuery);
    const filters: ProviderListFilters = {};
    const name = single(q, 'name');
    if (name !== undefined) filters.name = name;
    const uuid = single(q, 'uuid');
    if (uuid !== undefined) filters.uuid = uuid;
    const memberOf = atLeast(req, '1.24') ? many(q, 'member_of') : [single(q, 'member_of')].filter((x): x is string => x !== undefined);
    if (memberOf.length > 0) filters.memberOf = parseMemberOf(memberOf, atLeast(req, '1.32'));
    const resources = single(q, 'resources');
    if (resources !== undefined) {
      filters.resources = parseResources(resources);
      const unknown = await placement.unknownResourceClasses(Object.keys(filters.resources));
      if (unknown.length > 0) throw new BadRequest(`Invalid resource class in resources parameter: No such resource class ${unknown[0]}.`);
    }
    const inTree = inTreeOf(q);
    if (inTree !== undefined) filters.inTree = inTree;
    const required = atLeast(req, '1.39') ? many(q, 'required') : [single(q, 'required')].filter((x): x is string => x !== undefined);
    if (required.length > 0) {
      filters.required = parseRequired(required, { allowForbidden: atLeast(req, '1.22'), allowAnyOf: atLeast(req, '1.39') });
      await requireKnownTraits(deps, filters.required);
    }
    const rps = await placement.listResourceProviders(filters);
    return { resource_providers: rps.map((rp) => providerView(req, base, rp)) };
  });

  app.post('/resource_providers', async (req, reply) => {
    allow(deps, req, 'placement:resource_providers:create');
    validate(providerCreate(versionOf(req)), req.body, words);
    const body = req.body as { name: string; uuid?: string; parent_provider_uuid?: string | null };
    const rp = await placement.createResourceProvider({ uuid: body.uuid, name: body.name, parentUuid: body.parent_provider_uuid ?? null });
    reply.header('location', `${base}/resource_providers/${rp.uuid}`);
    // 1.20 answers 200 with the provider; before, 201 and an empty body.
    if (atLeast(req, '1.20')) return providerView(req, base, rp);
    return reply.code(201).send();
  });

  app.get<{ Params: { uuid: string } }>('/resource_providers/:uuid', async (req) => {
    allow(deps, req, 'placement:resource_providers:show');
    const rp = await placement.getResourceProvider(req.params.uuid);
    if (!rp) throw new ProviderNotFound(req.params.uuid);
    return providerView(req, base, rp);
  });

  app.put<{ Params: { uuid: string } }>('/resource_providers/:uuid', async (req) => {
    allow(deps, req, 'placement:resource_providers:update');
    validate(providerUpdate(versionOf(req)), req.body, words);
    const body = req.body as { name: string; parent_provider_uuid?: string | null };
    const input: { name: string; parentUuid?: string | null } = { name: body.name };
    if ('parent_provider_uuid' in body) input.parentUuid = body.parent_provider_uuid ?? null;
    const rp = await placement.updateResourceProvider(req.params.uuid, input, { allowReparent: atLeast(req, '1.37') });
    return providerView(req, base, rp);
  });

  app.delete<{ Params: { uuid: string } }>('/resource_providers/:uuid', async (req, reply) => {
    allow(deps, req, 'placement:resource_providers:delete');
    await placement.deleteResourceProvider(req.params.uuid);
    return noContent(reply);
  });
}

export async function requireKnownTraits(deps: PlacementRouteDeps, required: string[]): Promise<void> {
  const unknown = await deps.placement.unknownTraits(traitNames(required));
  if (unknown.length > 0) throw new BadRequest(`No such trait(s): ${unknown.join(', ')}`);
}
