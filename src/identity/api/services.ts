/** /v3/services, /v3/endpoints and /v3/regions: read-only views of the built-in catalog. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NotFound } from '../../http/errors.js';
import { serviceDescription } from '../catalog.js';
import { authorize, collectionLinks, v3Url, type IdentityRouteContext } from './context.js';
import { queryString, type Json } from './validate.js';

export function registerCatalogRoutes(app: FastifyInstance, ctx: IdentityRouteContext): void {
  const { identity } = ctx;

  const services = (request: FastifyRequest) => identity.catalog().map((s) => ({
    id: s.id, type: s.type, name: s.name, enabled: true, description: serviceDescription(s.type),
    links: { self: v3Url(ctx, request, `/services/${s.id}`) },
  }));
  const endpoints = (request: FastifyRequest) => identity.catalog().flatMap((s) => s.endpoints.map((e) => ({
    id: e.id, interface: e.interface, region: e.region, region_id: e.region_id, service_id: s.id, url: e.url,
    enabled: true, links: { self: v3Url(ctx, request, `/endpoints/${e.id}`) },
  })));
  const regions = (request: FastifyRequest) => [{
    id: identity.regionName, description: '', parent_region_id: null,
    links: { self: v3Url(ctx, request, `/regions/${identity.regionName}`) },
  }];

  app.get('/v3/services', async (request) => {
    authorize(ctx, request, 'identity:list_services');
    const q = request.query as Json;
    const type = queryString(q, 'type');
    const name = queryString(q, 'name');
    const list = services(request).filter((s) => (type === undefined || s.type === type) && (name === undefined || s.name === name));
    return { services: list, links: collectionLinks(ctx, request, '/services') };
  });

  app.get<{ Params: { id: string } }>('/v3/services/:id', async (request) => {
    authorize(ctx, request, 'identity:get_service');
    const service = services(request).find((s) => s.id === request.params.id);
    if (!service) throw new NotFound(`Could not find service: ${request.params.id}.`);
    return { service };
  });

  app.get('/v3/endpoints', async (request) => {
    authorize(ctx, request, 'identity:list_endpoints');
    const q = request.query as Json;
    const iface = queryString(q, 'interface');
    const serviceId = queryString(q, 'service_id');
    const region = queryString(q, 'region_id') ?? queryString(q, 'region');
    const list = endpoints(request).filter((e) => (iface === undefined || e.interface === iface)
      && (serviceId === undefined || e.service_id === serviceId) && (region === undefined || e.region_id === region));
    return { endpoints: list, links: collectionLinks(ctx, request, '/endpoints') };
  });

  app.get<{ Params: { id: string } }>('/v3/endpoints/:id', async (request) => {
    authorize(ctx, request, 'identity:get_endpoint');
    const endpoint = endpoints(request).find((e) => e.id === request.params.id);
    if (!endpoint) throw new NotFound(`Could not find endpoint: ${request.params.id}.`);
    return { endpoint };
  });

  app.get('/v3/regions', async (request) => {
    authorize(ctx, request, 'identity:list_regions');
    return { regions: regions(request), links: collectionLinks(ctx, request, '/regions') };
  });

  app.get<{ Params: { id: string } }>('/v3/regions/:id', async (request) => {
    authorize(ctx, request, 'identity:get_region');
    const region = regions(request).find((r) => r.id === request.params.id);
    if (!region) throw new NotFound(`Could not find region: ${request.params.id}.`);
    return { region };
  });
}
