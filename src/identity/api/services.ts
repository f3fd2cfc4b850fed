/**
 * /v3/services, /v3/endpoints and /v3/regions. The built-in services and
 * their endpoints are derived from the public URL and cannot be changed or
 * deleted here; what an operator adds is stored and joins the catalog.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, Forbidden, NotFound } from '../../errors.js';
import { serviceDescription } from '../catalog.js';
import type { CatalogServiceRecord, EndpointRecord, Region } from '../catalog-store.js';
import { authorize, collectionLinks, v3Url, type IdentityRouteContext } from './context.js';
import { validated } from './schema.js';
import { endpointCreate, endpointUpdate, regionCreate, regionUpdate, serviceCreate, serviceUpdate } from './schemas/catalog.js';
import { extraAttributes, queryString, type Json } from './validate.js';

const SERVICE_KNOWN = ['id', 'type', 'enabled', 'links'];
const ENDPOINT_KNOWN = ['id', 'service_id', 'interface', 'region_id', 'region', 'url', 'enabled', 'links', 'legacy_endpoint_id'];
const REGION_KNOWN = ['id', 'description', 'parent_region_id', 'links'];

type Interface = EndpointRecord['interface'];

export function registerCatalogRoutes(app: FastifyInstance, ctx: IdentityRouteContext): void {
  const { identity } = ctx;
  const catalog = identity.catalogStore;

  const serviceView = (request: FastifyRequest, s: CatalogServiceRecord) => ({
    ...s.extra, id: s.id, type: s.type, enabled: s.enabled, links: { self: v3Url(ctx, request, `/services/${s.id}`) },
  });
  const endpointView = (request: FastifyRequest, e: EndpointRecord) => ({
    ...e.extra, id: e.id, interface: e.interface, region_id: e.regionId, region: e.regionId, service_id: e.serviceId, url: e.url,
    enabled: e.enabled, links: { self: v3Url(ctx, request, `/endpoints/${e.id}`) },
  });
  const regionView = (request: FastifyRequest, r: Region) => ({
    ...r.extra, id: r.id, description: r.description, parent_region_id: r.parentRegionId, links: { self: v3Url(ctx, request, `/regions/${r.id}`) },
  });

  const builtinServices = (): CatalogServiceRecord[] => identity.builtinServices().map((s) => ({
    id: s.id, type: s.type, enabled: true, extra: { name: s.name, description: serviceDescription(s.type) },
  }));
  const builtinEndpoints = (): EndpointRecord[] => identity.builtinServices().flatMap((s) => s.endpoints.map((e) => ({
    id: e.id, serviceId: s.id, interface: e.interface, regionId: e.region_id, url: e.url, enabled: true, extra: {},
  })));
  const allServices = async () => [...builtinServices(), ...(await catalog.listServices())];
  const allEndpoints = async () => [...builtinEndpoints(), ...(await catalog.listEndpoints())];
  const findService = async (id: string) => builtinServices().find((s) => s.id === id) ?? catalog.getService(id);

  const refuseBuiltin = (builtin: boolean, what: string): void => {
    if (builtin) throw new Forbidden(`The ${what} is one Kilonova serves itself; it cannot be changed or deleted.`);
  };
  const changed = <T>(v: T): T => {
    identity.catalogChanged();
    return v;
  };

  // -- services

  app.get('/v3/services', async (request) => {
    authorize(ctx, request, 'identity:list_services');
    const q = request.query as Json;
    const type = queryString(q, 'type');
    const name = queryString(q, 'name');
    const list = (await allServices()).filter((s) => (type === undefined || s.type === type) && (name === undefined || s.extra.name === name));
    return { services: list.map((s) => serviceView(request, s)), links: collectionLinks(ctx, request, '/services') };
  });

  app.get<{ Params: { id: string } }>('/v3/services/:id', async (request) => {
    authorize(ctx, request, 'identity:get_service');
    const service = await findService(request.params.id);
    if (!service) throw new NotFound(`Could not find service: ${request.params.id}.`);
    return { service: serviceView(request, service) };
  });

  app.post('/v3/services', async (request, reply) => {
    const body = validated(request.body, 'service', serviceCreate);
    authorize(ctx, request, 'identity:create_service');
    const service = await catalog.createService({
      type: body.type as string, enabled: body.enabled !== false, extra: extraAttributes(body, SERVICE_KNOWN),
    });
    reply.code(201);
    return changed({ service: serviceView(request, service) });
  });

  app.patch<{ Params: { id: string } }>('/v3/services/:id', async (request) => {
    const body = validated(request.body, 'service', serviceUpdate);
    authorize(ctx, request, 'identity:update_service');
    refuseBuiltin(identity.isBuiltinService(request.params.id), 'service');
    const service = await catalog.updateService(request.params.id, {
      type: body.type as string | undefined, enabled: body.enabled as boolean | undefined, extra: extraAttributes(body, SERVICE_KNOWN),
    });
    return changed({ service: serviceView(request, service) });
  });

  app.delete<{ Params: { id: string } }>('/v3/services/:id', async (request, reply) => {
    authorize(ctx, request, 'identity:delete_service');
    refuseBuiltin(identity.isBuiltinService(request.params.id), 'service');
    await catalog.deleteService(request.params.id);
    identity.catalogChanged();
    return reply.code(204).send();
  });

  // -- endpoints

  /**
   * The endpoint's region. `region_id` must name a region that exists; `region`, its
   * legacy spelling, creates the region when it is missing, as Keystone keeps doing for
   * clients written before regions were a resource (Tempest's endpoint tests are such).
   */
  const regionOf = async (body: Json): Promise<string | null | undefined> => {
    if (body.region_id === undefined && typeof body.region === 'string') {
      await catalog.ensureRegion(body.region, '');
      return body.region;
    }
    const region = (body.region_id ?? body.region) as string | null | undefined;
    if (typeof region === 'string' && !(await catalog.getRegion(region))) {
      throw new BadRequest('Expecting to find endpoint region_id in region table. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.');
    }
    return region;
  };
  const requireService = async (id: string | undefined): Promise<void> => {
    if (id !== undefined && !(await findService(id))) {
      throw new BadRequest('Expecting to find endpoint service_id in service table. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.');
    }
  };

  app.get('/v3/endpoints', async (request) => {
    authorize(ctx, request, 'identity:list_endpoints');
    const q = request.query as Json;
    const iface = queryString(q, 'interface');
    const serviceId = queryString(q, 'service_id');
    const region = queryString(q, 'region_id') ?? queryString(q, 'region');
    const list = (await allEndpoints()).filter((e) => (iface === undefined || e.interface === iface)
      && (serviceId === undefined || e.serviceId === serviceId) && (region === undefined || e.regionId === region));
    return { endpoints: list.map((e) => endpointView(request, e)), links: collectionLinks(ctx, request, '/endpoints') };
  });

  app.get<{ Params: { id: string } }>('/v3/endpoints/:id', async (request) => {
    authorize(ctx, request, 'identity:get_endpoint');
    const endpoint = builtinEndpoints().find((e) => e.id === request.params.id) ?? await catalog.getEndpoint(request.params.id);
    if (!endpoint) throw new NotFound(`Could not find endpoint: ${request.params.id}.`);
    return { endpoint: endpointView(request, endpoint) };
  });

  app.post('/v3/endpoints', async (request, reply) => {
    const body = validated(request.body, 'endpoint', endpointCreate);
    authorize(ctx, request, 'identity:create_endpoint');
    await requireService(body.service_id as string);
    const regionId = await regionOf(body);
    const endpoint = await catalog.createEndpoint({
      serviceId: body.service_id as string, interface: body.interface as Interface, regionId: regionId ?? null,
      url: body.url as string, enabled: body.enabled !== false, extra: extraAttributes(body, ENDPOINT_KNOWN),
    });
    reply.code(201);
    return changed({ endpoint: endpointView(request, endpoint) });
  });

  app.patch<{ Params: { id: string } }>('/v3/endpoints/:id', async (request) => {
    const body = validated(request.body, 'endpoint', endpointUpdate);
    authorize(ctx, request, 'identity:update_endpoint');
    refuseBuiltin(identity.isBuiltinEndpoint(request.params.id), 'endpoint');
    if (!(await catalog.getEndpoint(request.params.id))) throw new NotFound(`Could not find endpoint: ${request.params.id}.`);
    await requireService(body.service_id as string | undefined);
    const regionId = await regionOf(body);
    const endpoint = await catalog.updateEndpoint(request.params.id, {
      serviceId: body.service_id as string | undefined, interface: body.interface as Interface | undefined, regionId,
      url: body.url as string | undefined, enabled: body.enabled as boolean | undefined, extra: extraAttributes(body, ENDPOINT_KNOWN),
    });
    return changed({ endpoint: endpointView(request, endpoint) });
  });

  app.delete<{ Params: { id: string } }>('/v3/endpoints/:id', async (request, reply) => {
    authorize(ctx, request, 'identity:delete_endpoint');
    refuseBuiltin(identity.isBuiltinEndpoint(request.params.id), 'endpoint');
    await catalog.deleteEndpoint(request.params.id);
    identity.catalogChanged();
    return reply.code(204).send();
  });

  // -- regions

  app.get('/v3/regions', async (request) => {
    authorize(ctx, request, 'identity:list_regions');
    const parent = queryString(request.query as Json, 'parent_region_id');
    const regions = await catalog.listRegions({ parentRegionId: parent });
    return { regions: regions.map((r) => regionView(request, r)), links: collectionLinks(ctx, request, '/regions') };
  });

  app.get<{ Params: { id: string } }>('/v3/regions/:id', async (request) => {
    authorize(ctx, request, 'identity:get_region');
    const region = await catalog.getRegion(request.params.id);
    if (!region) throw new NotFound(`Could not find region: ${request.params.id}.`);
    return { region: regionView(request, region) };
  });

  const createRegion = async (request: FastifyRequest, id: string | undefined) => {
    const body = validated(request.body, 'region', regionCreate);
    authorize(ctx, request, 'identity:create_region');
    if (id !== undefined && body.id !== undefined && body.id !== id) {
      throw new BadRequest('Conflicting region IDs specified: the URL names one region and the body another.');
    }
    const region = await catalog.createRegion({
      id: id ?? (body.id as string | undefined),
      description: (body.description as string | null | undefined) ?? '',
      parentRegionId: (body.parent_region_id as string | null | undefined) ?? null,
      extra: extraAttributes(body, REGION_KNOWN),
    });
    return { region: regionView(request, region) };
  };

  app.post('/v3/regions', async (request, reply) => {
    const out = await createRegion(request, undefined);
    reply.code(201);
    return out;
  });

  app.put<{ Params: { id: string } }>('/v3/regions/:id', async (request, reply) => {
    const out = await createRegion(request, request.params.id);
    reply.code(201);
    return out;
  });

  app.patch<{ Params: { id: string } }>('/v3/regions/:id', async (request) => {
    const body = validated(request.body, 'region', regionUpdate);
    authorize(ctx, request, 'identity:update_region');
    if (body.id !== undefined && body.id !== request.params.id) throw new BadRequest('The ID of a region cannot be changed.');
    const region = await catalog.updateRegion(request.params.id, {
      description: body.description === null ? '' : body.description as string | undefined,
      parentRegionId: body.parent_region_id as string | null | undefined,
      extra: extraAttributes(body, REGION_KNOWN),
    });
    return changed({ region: regionView(request, region) });
  });

  app.delete<{ Params: { id: string } }>('/v3/regions/:id', async (request, reply) => {
    authorize(ctx, request, 'identity:delete_region');
    if (request.params.id === identity.regionName) throw new Forbidden('The region Kilonova serves its own endpoints in cannot be deleted.');
    await catalog.deleteRegion(request.params.id);
    identity.catalogChanged();
    return reply.code(204).send();
  });
}
