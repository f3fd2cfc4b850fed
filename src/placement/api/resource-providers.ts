/** /resource_providers: list (with filters), create, show, update, delete. */
import type { FastifyInstance } from 'fastify';
import { BadRequest } from '../../errors.js';
import { ProviderNotFound } from '../errors.js';
import type { ProviderListFilters } from '../types.js';
import { allow, atLeast, noContent, providerView, type PlacementRouteDeps } from './common.js';
import * as v from './validate.js';

export function registerResourceProviderRoutes(app: FastifyInstance, deps: PlacementRouteDeps): void {
  const { placement, base } = deps;

  app.get('/resource_providers', async (req) => {
    allow(deps, req, 'placement:resource_providers:list');
    const q = req.query as v.Query;
    const params = ['name', 'uuid'];
    if (atLeast(req, '1.3')) params.push('member_of');
    if (atLeast(req, '1.4')) params.push('resources');
    if (atLeast(req, '1.14')) params.push('in_tree');
    if (atLeast(req, '1.18')) params.push('required');
    v.onlyParams(q, params);
    const filters: ProviderListFilters = {};
    const name = v.single(q, 'name');
    if (name !== undefined) filters.name = name;
    const uuid = v.single(q, 'uuid');
    if (uuid !== undefined) {
      if (!v.UUID_RE.test(uuid)) throw new BadRequest(`Invalid query string parameters: '${uuid}' is not a 'uuid'`);
      filters.uuid = uuid;
    }
    const memberOf = atLeast(req, '1.24') ? v.many(q, 'member_of') : [v.single(q, 'member_of')].filter((x): x is string => x !== undefined);
    if (memberOf.length > 0) filters.memberOf = v.parseMemberOf(memberOf, atLeast(req, '1.32'));
    const resources = v.single(q, 'resources');
    if (resources !== undefined) {
      filters.resources = v.parseResources(resources);
      const unknown = await placement.unknownResourceClasses(Object.keys(filters.resources));
      if (unknown.length > 0) throw new BadRequest(`Invalid resource class in resources parameter: No such resource class ${unknown[0]}.`);
    }
    const inTree = v.single(q, 'in_tree');
    if (inTree !== undefined) {
      if (!v.UUID_RE.test(inTree)) throw new BadRequest(`Invalid uuid value: ${inTree}`);
      filters.inTree = inTree;
    }
    const required = atLeast(req, '1.39') ? v.many(q, 'required') : [v.single(q, 'required')].filter((x): x is string => x !== undefined);
    if (required.length > 0) {
      filters.required = v.parseRequired(required, { allowForbidden: atLeast(req, '1.22'), allowAnyOf: atLeast(req, '1.39') });
      await requireKnownTraits(deps, filters.required);
    }
    const rps = await placement.listResourceProviders(filters);
    return { resource_providers: rps.map((rp) => providerView(req, base, rp)) };
  });

  app.post('/resource_providers', async (req, reply) => {
    allow(deps, req, 'placement:resource_providers:create');
    const body = v.object(req.body, 'body');
    const fields = ['name', 'uuid'];
    if (atLeast(req, '1.14')) fields.push('parent_provider_uuid');
    v.only(body, fields, 'body');
    v.required(body, ['name'], 'body');
    const name = v.string(body.name, 'name', { minLength: 1, maxLength: 200 });
    const uuid = body.uuid === undefined ? undefined : v.uuid(body.uuid, 'uuid');
    const parentUuid = body.parent_provider_uuid === undefined || body.parent_provider_uuid === null
      ? null : v.uuid(body.parent_provider_uuid, 'parent_provider_uuid');
    const rp = await placement.createResourceProvider({ uuid, name, parentUuid });
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
    const body = v.object(req.body, 'body');
    const fields = ['name'];
    if (atLeast(req, '1.14')) fields.push('parent_provider_uuid');
    v.only(body, fields, 'body');
    v.required(body, ['name'], 'body');
    const name = v.string(body.name, 'name', { minLength: 1, maxLength: 200 });
    const input: { name: string; parentUuid?: string | null } = { name };
    if ('parent_provider_uuid' in body) {
      input.parentUuid = body.parent_provider_uuid === null ? null : v.uuid(body.parent_provider_uuid, 'parent_provider_uuid');
    }
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
  const unknown = await deps.placement.unknownTraits(v.traitNames(required));
  if (unknown.length > 0) throw new BadRequest(`No such trait(s): ${unknown.join(', ')}`);
}
