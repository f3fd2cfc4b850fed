/**
 * /os-hypervisors: compute nodes seen through their compute service (state
 * up/down from its heartbeat, status from its enabled flag). A node whose
 * service is gone is not listed, as in Nova.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, NotFound } from '../../errors.js';
import { fitsInt32 } from '../../db/integer-range.js';
import {
  computeServicesOf, nodeByKey, nodeMarkerId, nodesMatching, nodesOfEnabledServices, nodesPage, serversOnHosts,
} from '../hypervisor-store.js';
import type { ComputeApiDeps } from './deps.js';
import { isUuidLike } from './services.js';
import { nonNegativeIntQuery, parseBoolean, queryParam, rejectUnknownQuery } from './schemas/flavors.js';
import { linkBase, nextLinks } from './views/flavors.js';
import { hypervisorView, statisticsView, type ComputeNodeRow } from './views/hypervisors.js';
import type { ServiceRow } from './views/services.js';

const POLICY = 'os_compute_api:os-hypervisors:';
const V253_LIST_QUERY = ['limit', 'marker', 'hypervisor_hostname_pattern', 'with_servers'] as const;
const BOOLEAN_WORDS = new Set(['true', '1', 'on', 'yes', 'y', 't', 'false', '0', 'off', 'no', 'n', 'f']);

type IdParams = { id: string };

export function registerHypervisorRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { db, policy, conf } = deps;
  const versionPrefix = app.prefix;

  const servicesFor = (hosts: string[]) => computeServicesOf(db, hosts);
  const serversOn = (hosts: string[]) => serversOnHosts(db, hosts);

  async function byPattern(pattern: string): Promise<ComputeNodeRow[]> {
    const nodes = await nodesMatching(db, pattern);
    if (nodes.length === 0) throw new NotFound(`No hypervisor matching '${pattern}' could be found.`);
    return nodes;
  }

  /** Each host's uptime line; a host that is down or cannot tell shows null, as Nova's 2.88 view does. */
  async function uptimesOf(request: FastifyRequest, hosts: string[]): Promise<Map<string, string | null>> {
    const entries = await Promise.all([...new Set(hosts)].map(async (h) => [h,
      await deps.computeApi.getHostUptime(request.auth, String(request.id), h).catch(() => null)] as const));
    return new Map(entries);
  }

  function withServersParam(request: FastifyRequest): boolean {
    const v = queryParam(request, 'with_servers');
    if (v === undefined) return false;
    if (!BOOLEAN_WORDS.has(v.toLowerCase())) {
      throw new BadRequest(`Invalid input for query parameters with_servers. Value: ${v}. '${v}' is not one of the allowed boolean values`);
    }
    return parseBoolean(v);
  }

  async function list(request: FastifyRequest, detail: boolean) {
    const v = request.apiVersion;
    const v253 = v.atLeast('2.53');
    if (v253) rejectUnknownQuery(request, V253_LIST_QUERY);
    const paged = v.atLeast('2.33');
    const pattern = v253 ? queryParam(request, 'hypervisor_hostname_pattern') : undefined;
    const withServers = v253 ? withServersParam(request) : false;
    let nodes: ComputeNodeRow[];
    let links = paged;
    if (pattern !== undefined) {
      if (queryParam(request, 'limit') !== undefined || queryParam(request, 'marker') !== undefined) {
        throw new BadRequest('Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.');
      }
      links = false;
      nodes = await byPattern(pattern);
    } else {
      const page: { afterId?: number; limit?: number } = {};
      if (paged) {
        page.limit = Math.min(nonNegativeIntQuery(request, 'limit') ?? conf.api.max_limit, conf.api.max_limit);
        const marker = queryParam(request, 'marker');
        if (marker !== undefined) {
          const key = v253 ? { uuid: marker } : { id: /^\d+$/.test(marker) && fitsInt32(Number(marker)) ? Number(marker) : -1 };
          page.afterId = await nodeMarkerId(db, key);
          if (page.afterId === undefined) throw new BadRequest(`marker [${marker}] not found`);
        }
      }
      nodes = await nodesPage(db, page);
    }
    const hosts = nodes.map((n) => n.host);
    const [services, servers] = await Promise.all([servicesFor(hosts), withServers ? serversOn(hosts) : Promise.resolve(undefined)]);
    const uptimes = detail && v.atLeast('2.88') ? await uptimesOf(request, [...services.keys()]) : undefined;
    const items: Array<Record<string, unknown>> = [];
    for (const node of nodes) {
      const service = services.get(node.host);
      if (!service) continue;
      items.push(hypervisorView(node, service, {
        atLeast: (x) => v.atLeast(x), conf, detail, servers: servers?.get(node.host), withServers, uptime: uptimes?.get(node.host),
      }));
    }
    const out: Record<string, unknown> = { hypervisors: items };
    if (links) {
      const next = nextLinks(request, linkBase(request, versionPrefix), detail ? 'os-hypervisors/detail' : 'os-hypervisors',
        items.length, items.at(-1)?.id as string | number | undefined, conf.api.max_limit);
      if (next.length > 0) out.hypervisors_links = next;
    }
    return out;
  }

  /** A node by the id form its microversion uses, with its compute service. */
  async function nodeById(request: FastifyRequest, id: string): Promise<{ node: ComputeNodeRow; service: ServiceRow }> {
    const notFound = new NotFound(`Hypervisor with ID '${id}' could not be found.`);
    let key: { uuid: string } | { id: number };
    if (request.apiVersion.atLeast('2.53')) {
      if (!isUuidLike(id)) throw new BadRequest(`Invalid uuid ${id}`);
      key = { uuid: id };
    } else {
      if (!/^\s*[-+]?\d+\s*$/.test(id) || !fitsInt32(Number(id))) throw notFound;
      key = { id: Number(id) };
    }
    const node = await nodeByKey(db, key);
    if (!node) throw notFound;
    const service = (await servicesFor([node.host])).get(node.host);
    if (!service) throw notFound;
    return { node, service };
  }

  app.get('/os-hypervisors', async (request) => {
    policy.authorize(`${POLICY}list`, {}, request.auth);
    return list(request, false);
  });

  app.get('/os-hypervisors/detail', async (request) => {
    policy.authorize(`${POLICY}list-detail`, {}, request.auth);
    return list(request, true);
  });

  app.get('/os-hypervisors/statistics', async (request) => {
    if (request.apiVersion.atLeast('2.88')) throw new NotFound('The resource could not be found.');
    policy.authorize(`${POLICY}statistics`, {}, request.auth);
    // Nova counts only nodes whose compute service is enabled.
    return statisticsView(await nodesOfEnabledServices(db));
  });

  app.get<{ Params: IdParams }>('/os-hypervisors/:id', async (request) => {
    const v = request.apiVersion;
    if (v.atLeast('2.53')) rejectUnknownQuery(request, ['with_servers']);
    const withServers = v.atLeast('2.53') ? withServersParam(request) : false;
    policy.authorize(`${POLICY}show`, {}, request.auth);
    const { node, service } = await nodeById(request, request.params.id);
    const servers = withServers ? (await serversOn([node.host])).get(node.host) : undefined;
    const uptime = v.atLeast('2.88') ? (await uptimesOf(request, [node.host])).get(node.host) : undefined;
    return { hypervisor: hypervisorView(node, service, { atLeast: (x) => v.atLeast(x), conf, detail: true, servers, withServers, uptime }) };
  });

  app.get<{ Params: IdParams }>('/os-hypervisors/:id/uptime', async (request) => {
    if (request.apiVersion.atLeast('2.88')) throw new NotFound('The resource could not be found.');
    policy.authorize(`${POLICY}uptime`, {}, request.auth);
    const { node, service } = await nodeById(request, request.params.id);
    const uptime = await deps.computeApi.getHostUptime(request.auth, String(request.id), node.host);
    const v = request.apiVersion;
    return { hypervisor: { ...hypervisorView(node, service, { atLeast: (x) => v.atLeast(x), conf, detail: false }), uptime } };
  });

  app.get<{ Params: IdParams }>('/os-hypervisors/:id/search', async (request) => {
    if (request.apiVersion.atLeast('2.53')) throw new NotFound('The resource could not be found.');
    policy.authorize(`${POLICY}search`, {}, request.auth);
    const nodes = await byPattern(request.params.id);
    const services = await servicesFor(nodes.map((n) => n.host));
    const v = request.apiVersion;
    return {
      hypervisors: nodes.filter((n) => services.has(n.host))
        .map((n) => hypervisorView(n, services.get(n.host)!, { atLeast: (x) => v.atLeast(x), conf, detail: false })),
    };
  });

  app.get<{ Params: IdParams }>('/os-hypervisors/:id/servers', async (request) => {
    if (request.apiVersion.atLeast('2.53')) throw new NotFound('The resource could not be found.');
    policy.authorize(`${POLICY}servers`, {}, request.auth);
    const nodes = await byPattern(request.params.id);
    const hosts = nodes.map((n) => n.host);
    const [services, servers] = await Promise.all([servicesFor(hosts), serversOn(hosts)]);
    const v = request.apiVersion;
    return {
      hypervisors: nodes.filter((n) => services.has(n.host))
        .map((n) => hypervisorView(n, services.get(n.host)!, {
          atLeast: (x) => v.atLeast(x), conf, detail: false, servers: servers.get(n.host),
        })),
    };
  });
}
