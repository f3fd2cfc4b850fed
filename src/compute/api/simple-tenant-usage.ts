/** /os-simple-tenant-usage: usage of every project (admin) or one project, over a period. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, NotFound } from '../../errors.js';
import { showValue } from '../../http/validation.js';
import { tenantUsages, UsageMarkerNotFound } from '../tenant-usage.js';
import type { ComputeApiDeps } from './deps.js';
import { lastQueryValue } from './proxy-versions.js';
import { linkBase, type Link } from './views/flavors.js';

const V240_QUERY = ['start', 'end', 'detailed', 'limit', 'marker'];

/** Nova's accepted formats: ISO without zone (T or space), optional fraction; read as UTC. */
function parseTime(v: string | undefined, now: number): number {
  if (v === undefined || v === '') return now;
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(v);
  const t = m ? Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ? `.${m[7].padEnd(3, '0').slice(0, 3)}` : ''}Z`) : NaN;
  if (Number.isNaN(t)) throw new BadRequest('Invalid datetime string: Datetime is in invalid format');
  return t;
}

export function registerSimpleTenantUsageRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { db, policy, conf } = deps;
  const versionPrefix = app.prefix;

  function period(request: FastifyRequest) {
    const now = Date.now();
    // Nova reads the clock once per default, so with neither bound given the
    // start falls just before the end: an empty period, not a 400.
    const start = parseTime(lastQueryValue(request, 'start'), now - 1);
    let stop = parseTime(lastQueryValue(request, 'end'), now);
    if (!(start < stop)) throw new BadRequest('Invalid start time. The start time cannot occur after the end time.');
    if (stop > now) stop = now;
    return { start, stop };
  }

  function paging(request: FastifyRequest): { limit: number; marker?: string; links: boolean } {
    const v = request.apiVersion;
    if (!v.atLeast('2.40')) return { limit: conf.api.max_limit, links: false };
    if (v.atLeast('2.75')) {
      const query = (request.query ?? {}) as Record<string, unknown>;
      const extra = Object.keys(query).find((k) => !V240_QUERY.includes(k));
      if (extra !== undefined) throw new BadRequest(`Invalid input for query parameters ${extra}. Value: ${showValue(query[extra])}. Additional properties are not allowed ('${extra}' was unexpected)`);
    }
    const limitText = lastQueryValue(request, 'limit');
    let limit = conf.api.max_limit;
    if (limitText !== undefined) {
      if (!/^\d{1,15}$/.test(limitText)) throw new BadRequest(`Invalid input for query parameters limit. Value: ${showValue(limitText)}. '${showValue(limitText)}' does not match '^[0-9]*$'`);
      limit = Math.min(Number(limitText), conf.api.max_limit);
    }
    const marker = lastQueryValue(request, 'marker');
    return { limit, links: true, ...(marker !== undefined ? { marker } : {}) };
  }

  function nextLink(request: FastifyRequest, collection: string, count: number, limit: number, last: string | undefined): Link[] {
    if (count === 0 || count < limit || last === undefined) return [];
    const query = { ...((request.query ?? {}) as Record<string, unknown>) };
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (k === 'marker') continue;
      for (const one of ([] as unknown[]).concat(v)) if (typeof one === 'string') params.append(k, one);
    }
    params.set('marker', last);
    return [{ rel: 'next', href: `${linkBase(request, versionPrefix).self}/${collection}?${params.toString()}` }];
  }

  async function compute(request: FastifyRequest, opts: { projectId?: string; detailed: boolean }) {
    const { start, stop } = period(request);
    const page = paging(request);
    try {
      const r = await tenantUsages(db, { start, stop, detailed: opts.detailed, limit: page.limit, ...(page.marker !== undefined ? { marker: page.marker } : {}), ...(opts.projectId !== undefined ? { projectId: opts.projectId } : {}) });
      return { ...r, page };
    } catch (err) {
      if (err instanceof UsageMarkerNotFound) throw new BadRequest(err.message);
      throw err;
    }
  }

  app.get('/os-simple-tenant-usage', async (request) => {
    // The router folds a trailing slash, but `/os-simple-tenant-usage/` is Nova's show with an
    // empty tenant id, which finds nothing.
    if (request.url.split('?', 1)[0]!.endsWith('/')) throw new NotFound('Tenant usage for an empty tenant id could not be found.');
    policy.authorize('os_compute_api:os-simple-tenant-usage:list', {}, request.auth);
    const detailed = lastQueryValue(request, 'detailed') === '1';
    const { usages, servers, page } = await compute(request, { detailed });
    const body: Record<string, unknown> = { tenant_usages: usages };
    if (page.links) {
      const links = nextLink(request, 'os-simple-tenant-usage', servers.length, page.limit, servers.at(-1)?.instance_id);
      if (links.length > 0) body.tenant_usages_links = links;
    }
    return body;
  });

  app.get<{ Params: { id: string } }>('/os-simple-tenant-usage/:id', async (request) => {
    policy.authorize('os_compute_api:os-simple-tenant-usage:show', { project_id: request.params.id }, request.auth);
    const { usages, servers, page } = await compute(request, { projectId: request.params.id, detailed: true });
    const body: Record<string, unknown> = { tenant_usage: usages[0] ?? {} };
    if (page.links) {
      const links = nextLink(request, `os-simple-tenant-usage/${encodeURIComponent(request.params.id)}`, servers.length, page.limit, servers.at(-1)?.instance_id);
      if (links.length > 0) body.tenant_usage_links = links;
    }
    return body;
  });
}
