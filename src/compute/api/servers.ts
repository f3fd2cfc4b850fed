/**
 * ServersController: /servers. Parses and validates the request for the
 * negotiated microversion, lets each create extension add its part, calls
 * ComputeAPI, and renders the views.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest } from '../../errors.js';
import { publicBase } from '../../http/links.js';
import { validate } from '../../http/validation.js';
import type { CreateOptions } from '../create-options.js';
import { latestFaults, loadViewRows, pinnedZones, type InstancePageRow } from '../instance-list.js';
import { getMetadata } from '../instance-store.js';
import { tagsOf } from '../tags.js';
import { serverGroupsOf } from '../server-groups.js';
import type { NetworkRequestList } from '../../objects/network-request.js';
import type { ComputeApiDeps } from './deps.js';
import { CREATE_EXTENSIONS, type CreateBody } from './create-extensions/index.js';
import { createServerSchema, updateServerSchema } from './schemas/servers.js';
import { parseServerListQuery } from './schemas/server-list-query.js';
import { basicView, detailView, diskConfigName, updateView, viewKey, type ViewContext, type ViewExtras } from './views/servers.js';
import { ServerViewCache } from './views/server-view-cache.js';
import { registerServerActionRoutes } from './server-actions.js';
import { UUID_PATTERN } from './schemas/common.js';

type IdParams = { Params: { id: string } };

export function viewContext(deps: ComputeApiDeps, request: FastifyRequest, target: { project_id: string; user_id?: string } = { project_id: request.auth.projectId }): ViewContext {
  const auth = request.auth;
  return {
    base: publicBase(request),
    version: request.apiVersion,
    showExtended: deps.policy.allowed('os_compute_api:os-extended-server-attributes', target, auth),
    showFaultDetails: deps.policy.allowed('context_is_admin', {}, auth),
    showHostStatus: deps.policy.allowed('os_compute_api:servers:show:host_status', target, auth),
    showFlavorExtraSpecs: deps.policy.allowed('os_compute_api:os-flavor-extra-specs:index', target, auth),
    instanceNameTemplate: deps.conf.DEFAULT.instance_name_template,
  };
}

export function registerServerRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const api = deps.computeApi;

  const views = new ServerViewCache();

  const list = (detail: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const opts = parseServerListQuery(request.query as Record<string, string | string[]>, request.apiVersion, {
      allFilters: deps.policy.allowed('os_compute_api:servers:allow_all_filters', { project_id: request.auth.projectId }, request.auth),
      admin: deps.policy.allowed('context_is_admin', {}, request.auth),
    });
    const page = await api.list(request.auth, detail, opts);
    const ctx = viewContext(deps, request);
    const parts = detail ? await detailJson(page.rows, ctx, opts.includeDeleted !== undefined) : page.rows.map((r) => JSON.stringify(basicView(r, ctx)));
    let links = '';
    if (page.more && page.rows.length > 0) {
      const params = new URLSearchParams(request.query as Record<string, string>);
      params.set('marker', page.rows[page.rows.length - 1].uuid);
      links = `,"servers_links":${JSON.stringify([{ rel: 'next', href: `${ctx.base}/compute/v2.1/servers${detail ? '/detail' : ''}?${params}` }])}`;
    }
    // Assembled as text: the cached views are JSON already.
    return reply.type('application/json; charset=utf-8').send(`{"servers":[${parts.join(',')}]${links}}`);
  };

  /** Each server's detail view as JSON text: from the cache when its version is current, else rendered now. */
  const detailJson = async (rows: InstancePageRow[], ctx: ViewContext, includeDeleted: boolean): Promise<string[]> => {
    const key = viewKey(ctx);
    const parts: Array<string | undefined> = rows.map((r) => views.get(key, r.uuid, r.version));
    const misses = rows.filter((_, i) => parts[i] === undefined).map((r) => r.uuid);
    if (misses.length > 0) {
      const loaded = await loadViewRows(deps.db, misses, { pinnedZones: ctx.version.atLeast('2.96'), includeDeleted });
      rows.forEach((r, i) => {
        if (parts[i] !== undefined) return;
        const row = loaded.rows.get(r.uuid);
        if (!row) return; // deleted since the page was read
        const json = JSON.stringify(detailView(row, loaded.metadata.get(row.uuid) ?? {}, loaded.faults.get(row.uuid), ctx, { tags: loaded.tags.get(row.uuid), pinnedAz: loaded.pinnedZones.get(row.uuid) ?? null }));
        views.set(key, row.uuid, row.version, json);
        parts[i] = json;
      });
    }
    return parts.filter((p): p is string => p !== undefined);
  };
  app.get('/servers', list(false));
  app.get('/servers/detail', list(true));

  app.get<IdParams>('/servers/:id', async (request) => {
    const row = await api.get(request.auth, request.params.id);
    const md = await getMetadata(deps.db, [row.uuid]);
    const faults = row.vm_state === 'error' ? await latestFaults(deps.db, [row.uuid]) : new Map();
    return { server: detailView(row, md.get(row.uuid) ?? {}, faults.get(row.uuid), viewContext(deps, request, { project_id: row.project_id, user_id: row.user_id }), await viewExtras(deps, request, row.uuid)) };
  });

  app.post('/servers', async (request, reply) => {
    const v = request.apiVersion;
    validate(createServerSchema(v), request.body);
    const body = request.body as CreateBody;
    const s = body.server;
    const args: CreateOptions = {
      name: s.name, imageRef: s.imageRef ?? '', flavorRef: String(s.flavorRef), description: s.description ?? null,
      metadata: s.metadata ?? {}, minCount: 1, maxCount: 1, returnReservationId: false, configDrive: false,
      networks: parseNetworks(s.networks, v.atLeast('2.37')), securityGroups: ['default'], adminPass: s.adminPass,
      blockDeviceMappings: [], schedulerHints: {}, tags: v.atLeast('2.52') ? s.tags : undefined,
      trustedCerts: v.atLeast('2.63') ? s.trusted_image_certificates : undefined,
      hostname: v.atLeast('2.90') ? s.hostname : undefined,
    };
    for (const ext of CREATE_EXTENSIONS) ext.extend(body, args, v);

    const result = await api.create(request.auth, String(request.id), args);
    reply.code(202);
    if (args.returnReservationId) return { reservation_id: result.reservationId };
    const first = result.instances[0];
    const ctx = viewContext(deps, request);
    // Nova's create response is not a server view: it has no name, and clients
    // (Tempest among them) validate it against a schema without extra properties.
    const links = basicView(first, ctx).links;
    const self = links.find((l) => l.rel === 'self');
    if (self) reply.header('location', self.href);
    const server: Record<string, unknown> = {
      id: first.uuid,
      links,
      'OS-DCF:diskConfig': diskConfigName(first.auto_disk_config),
      security_groups: args.securityGroups.map((name) => ({ name })),
    };
    if (deps.conf.api.enable_instance_password) server.adminPass = result.adminPass;
    return { server };
  });

  app.put<IdParams>('/servers/:id', async (request) => {
    validate(updateServerSchema(request.apiVersion), request.body);
    const s = (request.body as { server: Record<string, any> }).server;
    const row = await api.update(request.auth, String(request.id), request.params.id, {
      name: s.name, description: s.description, accessIPv4: s.accessIPv4, accessIPv6: s.accessIPv6,
      autoDiskConfig: s['OS-DCF:diskConfig'] === undefined ? undefined : s['OS-DCF:diskConfig'] === 'AUTO',
      hostname: request.apiVersion.atLeast('2.90') ? s.hostname : undefined,
    });
    const md = await getMetadata(deps.db, [row.uuid]);
    return { server: updateView(row, md.get(row.uuid) ?? {}, viewContext(deps, request, { project_id: row.project_id, user_id: row.user_id }), await viewExtras(deps, request, row.uuid)) };
  });

  app.delete<IdParams>('/servers/:id', async (request, reply) => {
    await api.delete(request.auth, String(request.id), request.params.id);
    return reply.code(204).send();
  });

  registerServerActionRoutes(app, deps);
}

/** What a single server's view reads beside its row: its tags (2.26), server groups (2.71) and pinned zone (2.96). */
export async function viewExtras(deps: ComputeApiDeps, request: FastifyRequest, uuid: string): Promise<ViewExtras> {
  const v = request.apiVersion;
  return {
    tags: v.atLeast('2.26') ? await tagsOf(deps.db, uuid) : [],
    serverGroups: v.atLeast('2.71') ? await serverGroupsOf(deps.db, uuid) : undefined,
    pinnedAz: v.atLeast('2.96') ? (await pinnedZones(deps.db, [uuid])).get(uuid) ?? null : null,
  };
}

function parseNetworks(networks: unknown, v237: boolean): NetworkRequestList | 'default' {
  if (networks === undefined) return 'default';
  if (networks === 'auto') return { mode: 'auto', objects: [] };
  if (networks === 'none') return { mode: 'none', objects: [] };
  const list = networks as Array<{ uuid?: string; port?: string | null; fixed_ip?: string }>;
  if (list.length === 0 && !v237) return 'default';
  const seenPorts = new Set<string>();
  return {
    mode: 'explicit',
    objects: list.map((n) => {
      if (!n.uuid && !n.port) throw new BadRequest('Bad networks format: network uuid is not in proper format (None)');
      if (n.uuid && !new RegExp(UUID_PATTERN).test(n.uuid)) throw new BadRequest(`Bad networks format: network uuid is not in proper format (${n.uuid})`);
      if (n.port) {
        if (seenPorts.has(n.port)) throw new BadRequest(`Port ${n.port} is duplicated in the request`);
        seenPorts.add(n.port);
      }
      return { network_id: n.uuid ?? null, port_id: n.port ?? null, address: n.fixed_ip ?? null };
    }),
  };
}
