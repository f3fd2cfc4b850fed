/**
 * /os-hypervisors: compute nodes seen through their compute service (state
 * up/down from its heartbeat, status from its enabled flag). A node whose
 * service is gone is not listed, as in Nova.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, NotFound, NotImplementedError } from '../../errors.js';
import { fitsInt32 } from '../../db/integer-range.js';
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

  /** The live compute services of these hosts, in one query. */
  async function servicesFor(hosts: string[]): Promise<Map<string, ServiceRow>> {
    if (hosts.length === 0) return new Map();
    const rows = await db.selectFrom('services').selectAll()
      .where('binary', '=', 'nova-compute').where('deleted', '=', 0).where('host', 'in', [...new Set(hosts)])
      .execute();
    return new Map(rows.map((s) => [s.host, s]));
  }

  async function serversOn(hosts: string[]): Promise<Map<string, Array<{ name: string; uuid: string }>>> {
    const out = new Map<string, Array<{ name: string; uuid: string }>>();
    if (hosts.length === 0) return out;
    const rows = await db.selectFrom('instances').select(['host', 'display_name', 'uuid'])
      .where('deleted', '=', 0).where('host', 'in', [...new Set(hosts)]).orderBy('id').execute();
    for (const r of rows) {
      const list = out.get(r.host!) ?? [];
      list.push({ name: r.display_name, uuid: r.uuid });
      out.set(r.host!, list);
    }
    return out;
  }

  async function byPattern(pattern: string): Promise<ComputeNodeRow[]> {
    const nodes = await db.selectFrom('compute_nodes').selectAll()
      .where('deleted', '=', 0).where('hypervisor_hostname', 'like', `%${pattern}%`).orderBy('id').execute();
    if (nodes.length === 0) throw new NotFound(`No hypervisor matching '${pattern}' could be found.`);
    return nodes;
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
      let q = db.selectFrom('compute_nodes').selectAll().where('deleted', '=', 0);
      if (paged) {
        const limit = Math.min(nonNegativeIntQuery(request, 'limit') ?? conf.api.max_limit, conf.api.max_limit);
        const marker = queryParam(request, 'marker');
        if (marker !== undefined) {
          let mq = db.selectFrom('compute_nodes').select('id').where('deleted', '=', 0);
          if (v253) mq = mq.where('uuid', '=', marker);
          else mq = /^\d+$/.test(marker) && fitsInt32(Number(marker)) ? mq.where('id', '=', Number(marker)) : mq.where('id', '=', -1);
          const m = await mq.executeTakeFirst();
          if (!m) throw new BadRequest(`marker [${marker}] not found`);
          q = q.where('id', '>', m.id);
        }
        q = q.limit(limit);
      }
      nodes = await q.orderBy('id').execute();
    }
    const hosts = nodes.map((n) => n.host);
    const [services, servers] = await Promise.all([servicesFor(hosts), withServers ? serversOn(hosts) : Promise.resolve(undefined)]);
    const items: Array<Record<string, unknown>> = [];
    for (const node of nodes) {
      const service = services.get(node.host);
      if (!service) continue;
      items.push(hypervisorView(node, service, {
        atLeast: (x) => v.atLeast(x), conf, detail, servers: servers?.get(node.host), withServers,
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
    let q = db.selectFrom('compute_nodes').selectAll().where('deleted', '=', 0);
    if (request.apiVersion.atLeast('2.53')) {
      if (!isUuidLike(id)) throw new BadRequest(`Invalid uuid ${id}`);
      q = q.where('uuid', '=', id);
    } else {
      if (!/^\s*[-+]?\d+\s*$/.test(id) || !fitsInt32(Number(id))) throw notFound;
      q = q.where('id', '=', Number(id));
    }
    const node = await q.executeTakeFirst();
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
    const nodes = await db.selectFrom('compute_nodes').selectAll('compute_nodes')
      .innerJoin('services', (j) => j.onRef('services.host', '=', 'compute_nodes.host')
        .on('services.binary', '=', 'nova-compute').on('services.deleted', '=', 0).on('services.disabled', '=', 0))
      .where('compute_nodes.deleted', '=', 0)
      .execute();
    return statisticsView(nodes);
  });

  app.get<{ Params: IdParams }>('/os-hypervisors/:id', async (request) => {
    const v = request.apiVersion;
    if (v.atLeast('2.53')) rejectUnknownQuery(request, ['with_servers']);
    const withServers = v.atLeast('2.53') ? withServersParam(request) : false;
    policy.authorize(`${POLICY}show`, {}, request.auth);
    const { node, service } = await nodeById(request, request.params.id);
    const servers = withServers ? (await serversOn([node.host])).get(node.host) : undefined;
    return { hypervisor: hypervisorView(node, service, { atLeast: (x) => v.atLeast(x), conf, detail: true, servers, withServers }) };
  });

  app.get<{ Params: IdParams }>('/os-hypervisors/:id/uptime', async (request) => {
    if (request.apiVersion.atLeast('2.88')) throw new NotFound('The resource could not be found.');
    policy.authorize(`${POLICY}uptime`, {}, request.auth);
    await nodeById(request, request.params.id);
    // The API never reaches a virt driver, and our drivers report no uptime:
    // Nova's answer for a driver without it is 501, which clients expect.
    throw new NotImplementedError('The requested functionality is not supported.');
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
