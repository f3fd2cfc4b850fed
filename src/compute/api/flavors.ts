/**
 * /flavors: list, show, create, delete, description update (2.55), extra specs
 * and flavor access, as Nova's flavors, flavor_manage, flavors_extraspecs and
 * flavor_access controllers answer them.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, Conflict, NotFound } from '../../errors.js';
import { clampInt32 } from '../../db/integer-range.js';
import * as flavors from '../flavors.js';
import type { FlavorRow, FlavorViewer } from '../flavors.js';
import type { ComputeApiDeps } from './deps.js';
import {
  FLAVOR_LIST_QUERY, addTenantAccess, checkDescription, checkName, extraSpecsCreate, extraSpecsUpdate,
  flavorCreateV21, flavorCreateV255, flavorUpdateV255, nonNegativeIntQuery, parseBoolean, queryParam,
  rejectUnknownQuery, removeTenantAccess, validateInput,
  type ExtraSpecsCreateBody, type FlavorCreateBody, type FlavorUpdateBody,
} from './schemas/flavors.js';
import { validateExtraSpec } from './schemas/flavor-extra-specs.js';
import { flavorAccessView, flavorBrief, flavorDetail, linkBase, nextLinks, type FlavorViewOptions } from './views/flavors.js';

const MANAGE = 'os_compute_api:os-flavor-manage:';
const EXTRA_SPECS = 'os_compute_api:os-flavor-extra-specs:';
const ACCESS = 'os_compute_api:os-flavor-access';

type Params = { flavor_id: string };
type SpecParams = { flavor_id: string; key: string };

export function registerFlavorRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { db, policy, conf } = deps;
  const versionPrefix = app.prefix;

  const viewer = (request: FastifyRequest): FlavorViewer => ({
    projectId: request.auth.projectId,
    isAdmin: policy.allowed('context_is_admin', ownTarget(request), request.auth),
  });
  const ownTarget = (request: FastifyRequest) => ({ project_id: request.auth.projectId, user_id: request.auth.userId });
  const mayReadSpecs = (request: FastifyRequest) =>
    request.apiVersion.atLeast('2.61') && policy.allowed(`${EXTRA_SPECS}index`, ownTarget(request), request.auth);
  const viewOpts = (request: FastifyRequest, extraSpecs?: Record<string, string>): FlavorViewOptions => ({
    atLeast: (v) => request.apiVersion.atLeast(v),
    extraSpecs,
  });

  async function showOne(request: FastifyRequest, flavor: FlavorRow, specs?: Record<string, string>) {
    let extraSpecs: Record<string, string> | undefined;
    if (mayReadSpecs(request)) extraSpecs = specs ?? await flavors.getExtraSpecs(db, flavor.id);
    return { flavor: flavorDetail(linkBase(request, versionPrefix), flavor, viewOpts(request, extraSpecs)) };
  }

  async function listFor(request: FastifyRequest): Promise<FlavorRow[]> {
    if (request.apiVersion.atLeast('2.75')) rejectUnknownQuery(request, FLAVOR_LIST_QUERY);
    const who = viewer(request);
    const sortKey = queryParam(request, 'sort_key') || 'flavorid';
    if (!(flavors.FLAVOR_SORT_KEYS as readonly string[]).includes(sortKey)) {
      throw new BadRequest(`Invalid input for query parameters sort_key. Value: ${sortKey}. '${sortKey}' is not one of ${JSON.stringify(flavors.FLAVOR_SORT_KEYS)}`);
    }
    const sortDir = queryParam(request, 'sort_dir') || 'asc';
    if (sortDir !== 'asc' && sortDir !== 'desc') {
      throw new BadRequest(`Invalid input for query parameters sort_dir. Value: ${sortDir}. '${sortDir}' is not one of ['asc', 'desc']`);
    }
    const limit = Math.min(nonNegativeIntQuery(request, 'limit') ?? conf.api.max_limit, conf.api.max_limit);
    let isPublic: boolean | null = true;
    if (who.isAdmin) isPublic = parseIsPublic(queryParam(request, 'is_public'));
    return flavors.listFlavors(db, who, {
      isPublic,
      includeDisabled: who.isAdmin,
      minRam: intFilter('minRam', queryParam(request, 'minRam')),
      minDisk: intFilter('minDisk', queryParam(request, 'minDisk')),
      sortKey: sortKey as flavors.FlavorSortKey,
      sortDir,
      limit,
      marker: queryParam(request, 'marker'),
    });
  }

  app.get('/flavors', async (request) => {
    const rows = await listFor(request);
    const base = linkBase(request, versionPrefix);
    const out: Record<string, unknown> = { flavors: rows.map((f) => flavorBrief(base, f, viewOpts(request))) };
    const links = nextLinks(request, base, 'flavors', rows.length, rows.at(-1)?.flavorid, conf.api.max_limit);
    if (links.length > 0) out.flavors_links = links;
    return out;
  });

  app.get('/flavors/detail', async (request) => {
    const rows = await listFor(request);
    const base = linkBase(request, versionPrefix);
    const specs = mayReadSpecs(request) ? await flavors.getExtraSpecsFor(db, rows.map((r) => r.id)) : undefined;
    const out: Record<string, unknown> = {
      flavors: rows.map((f) => flavorDetail(base, f, viewOpts(request, specs?.get(f.id)))),
    };
    const links = nextLinks(request, base, 'flavors/detail', rows.length, rows.at(-1)?.flavorid, conf.api.max_limit);
    if (links.length > 0) out.flavors_links = links;
    return out;
  });

  app.get<{ Params: Params }>('/flavors/:flavor_id', async (request) => {
    const flavor = await flavors.getFlavor(db, request.params.flavor_id, viewer(request));
    return showOne(request, flavor);
  });

  app.post('/flavors', async (request) => {
    policy.authorize(`${MANAGE}create`, {}, request.auth);
    const v255 = request.apiVersion.atLeast('2.55');
    const body = validateInput<FlavorCreateBody>(request, v255 ? flavorCreateV255 : flavorCreateV21, request.body);
    const f = body.flavor;
    checkName('name', f.name);
    if (v255) checkDescription(f.description);
    const created = await flavors.createFlavor(db, {
      name: f.name,
      flavorid: f.id === undefined || f.id === null ? null : String(f.id),
      memory_mb: Number(f.ram),
      vcpus: Number(f.vcpus),
      root_gb: Number(f.disk),
      ephemeral_gb: Number(f['OS-FLV-EXT-DATA:ephemeral'] ?? 0),
      swap: Number(f.swap ?? 0),
      rxtx_factor: Number(f.rxtx_factor ?? 1),
      is_public: f['os-flavor-access:is_public'] === undefined ? true : parseBoolean(f['os-flavor-access:is_public']),
      description: v255 ? f.description ?? null : null,
    });
    // A new flavor has no extra specs yet; 2.61 still shows the (empty) map.
    return showOne(request, created, {});
  });

  app.put<{ Params: Params }>('/flavors/:flavor_id', async (request) => {
    if (!request.apiVersion.atLeast('2.55')) throw new NotFound('The resource could not be found.');
    policy.authorize(`${MANAGE}update`, {}, request.auth);
    const body = validateInput<FlavorUpdateBody>(request, flavorUpdateV255, request.body);
    checkDescription(body.flavor.description);
    const updated = await flavors.updateFlavorDescription(db, request.params.flavor_id, body.flavor.description);
    return showOne(request, updated);
  });

  app.delete<{ Params: Params }>('/flavors/:flavor_id', async (request, reply) => {
    policy.authorize(`${MANAGE}delete`, {}, request.auth);
    await flavors.deleteFlavor(db, request.params.flavor_id);
    return reply.code(202).send();
  });

  // Extra specs.
  app.get<{ Params: Params }>('/flavors/:flavor_id/os-extra_specs', async (request) => {
    policy.authorize(`${EXTRA_SPECS}index`, { project_id: request.auth.projectId }, request.auth);
    const flavor = await flavors.getFlavor(db, request.params.flavor_id, viewer(request));
    return { extra_specs: await flavors.getExtraSpecs(db, flavor.id) };
  });

  app.post<{ Params: Params }>('/flavors/:flavor_id/os-extra_specs', async (request) => {
    policy.authorize(`${EXTRA_SPECS}create`, {}, request.auth);
    const body = validateInput<ExtraSpecsCreateBody>(request, extraSpecsCreate, request.body);
    const specs = specStrings(body.extra_specs);
    if (request.apiVersion.atLeast('2.86')) for (const [k, v] of Object.entries(specs)) validateExtraSpec(k, v);
    const flavor = await flavors.getFlavor(db, request.params.flavor_id, viewer(request));
    await flavors.setExtraSpecs(db, flavor.id, specs);
    return body;
  });

  app.get<{ Params: SpecParams }>('/flavors/:flavor_id/os-extra_specs/:key', async (request) => {
    policy.authorize(`${EXTRA_SPECS}show`, { project_id: request.auth.projectId }, request.auth);
    const { flavor_id: flavorId, key } = request.params;
    const flavor = await flavors.getFlavor(db, flavorId, viewer(request));
    const specs = await flavors.getExtraSpecs(db, flavor.id);
    if (!Object.hasOwn(specs, key)) throw new NotFound(`Flavor ${flavorId} has no extra specs with key ${key}.`);
    return { [key]: specs[key] };
  });

  app.put<{ Params: SpecParams }>('/flavors/:flavor_id/os-extra_specs/:key', async (request) => {
    policy.authorize(`${EXTRA_SPECS}update`, {}, request.auth);
    const body = validateInput<Record<string, string | number>>(request, extraSpecsUpdate, request.body);
    const specs = specStrings(body);
    if (!Object.hasOwn(specs, request.params.key)) throw new BadRequest('Request body and URI mismatch');
    if (request.apiVersion.atLeast('2.86')) for (const [k, v] of Object.entries(specs)) validateExtraSpec(k, v);
    const flavor = await flavors.getFlavor(db, request.params.flavor_id, viewer(request));
    await flavors.setExtraSpecs(db, flavor.id, specs);
    return body;
  });

  app.delete<{ Params: SpecParams }>('/flavors/:flavor_id/os-extra_specs/:key', async (request, reply) => {
    policy.authorize(`${EXTRA_SPECS}delete`, {}, request.auth);
    const flavor = await flavors.getFlavor(db, request.params.flavor_id, viewer(request));
    await flavors.deleteExtraSpec(db, flavor, request.params.key);
    return reply.code(200).send();
  });

  // Flavor access.
  app.get<{ Params: Params }>('/flavors/:flavor_id/os-flavor-access', async (request) => {
    policy.authorize(ACCESS, ownTarget(request), request.auth);
    const flavor = await flavors.getFlavor(db, request.params.flavor_id, viewer(request));
    if (flavor.is_public) throw new NotFound('Access list not available for public flavors.');
    return flavorAccessView(flavor.flavorid, await flavors.listFlavorProjects(db, flavor.id));
  });

  app.post<{ Params: Params }>('/flavors/:flavor_id/action', async (request) => {
    const body = request.body as Record<string, unknown> | null;
    const action = body && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body)[0] : undefined;
    if (action === 'addTenantAccess') {
      policy.authorize(`${ACCESS}:add_tenant_access`, {}, request.auth);
      const { addTenantAccess: args } = validateInput<{ addTenantAccess: { tenant: string } }>(request, addTenantAccess, body);
      const flavor = await flavors.getFlavor(db, request.params.flavor_id, viewer(request));
      if (request.apiVersion.atLeast('2.7') && flavor.is_public) throw new Conflict('Can not add access to a public flavor.');
      await flavors.addFlavorAccess(db, flavor, args.tenant);
      return flavorAccessView(flavor.flavorid, await flavors.listFlavorProjects(db, flavor.id));
    }
    if (action === 'removeTenantAccess') {
      policy.authorize(`${ACCESS}:remove_tenant_access`, {}, request.auth);
      const { removeTenantAccess: args } = validateInput<{ removeTenantAccess: { tenant: string } }>(request, removeTenantAccess, body);
      const flavor = await flavors.getFlavor(db, request.params.flavor_id, viewer(request));
      await flavors.removeFlavorAccess(db, flavor, args.tenant);
      return flavorAccessView(flavor.flavorid, await flavors.listFlavorProjects(db, flavor.id));
    }
    throw new BadRequest('There is no such action: ' + (action ?? 'None'));
  });
}

function parseIsPublic(v: string | undefined): boolean | null {
  if (v === undefined) return true;
  if (v.toLowerCase() === 'none') return null;
  const t = v.toLowerCase();
  if (['true', '1', 'on', 'yes', 't', 'y'].includes(t)) return true;
  if (['false', '0', 'off', 'no', 'f', 'n'].includes(t)) return false;
  throw new BadRequest(`Invalid is_public filter [${v}]`);
}

function intFilter(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\s*[-+]?\d+\s*$/.test(v)) throw new BadRequest(`Invalid ${name} filter [${v}]`);
  return clampInt32(Number(v));
}

function specStrings(specs: Record<string, string | number>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(specs)) {
    const s = String(v);
    if (s.length > 255) throw new BadRequest(`Invalid input for extra_specs value. Value: ${s.slice(0, 50)}... It must be 255 characters or fewer.`);
    out[k] = s;
  }
  return out;
}
