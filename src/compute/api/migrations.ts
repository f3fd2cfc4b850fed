/**
 * /os-migrations: every resize, migration and evacuation, with the shape of
 * each microversion (2.23 type and links, 2.59 uuid and paging, 2.66
 * changes-before, 2.80 user and project). And /servers/{id}/migrations: a
 * server's live migrations in progress (2.23), force_complete (2.22) and
 * abort (2.24; 2.65 also while queued or preparing).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, NotFound } from '../../errors.js';
import { showValue, validate } from '../../http/validation.js';
import { forceCompleteSchema } from './schemas/migrate-server.js';
import { listMigrations, MigrationMarkerNotFound, type MigrationFilters, type MigrationRow } from '../migration-store.js';
import type { ComputeApiDeps } from './deps.js';
import { lastQueryValue } from './proxy-versions.js';
import { linkBase, resourceLinks, type Link } from './views/flavors.js';
import { isoZ } from './views/servers.js';

const V20_QUERY = ['hidden', 'host', 'instance_uuid', 'source_compute', 'status', 'migration_type'];
const LIVE_IN_PROGRESS = new Set(['queued', 'preparing', 'running', 'post-migrating']);
const BOOLEAN_TRUE = new Set(['1', 't', 'true', 'on', 'y', 'yes']);

function rejectUnknown(request: FastifyRequest, known: string[]): void {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const extra = Object.keys(query).find((k) => !known.includes(k));
  if (extra !== undefined) throw new BadRequest(`Invalid input for query parameters ${extra}. Value: ${showValue(query[extra])}. Additional properties are not allowed ('${extra}' was unexpected)`);
}

function dateTimeParam(request: FastifyRequest, name: string): string | undefined {
  const v = lastQueryValue(request, name);
  if (v === undefined) return undefined;
  const t = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(v) ? Date.parse(v.includes('Z') || /[+-]\d{2}:?\d{2}$/.test(v) ? v : `${v}Z`) : NaN;
  if (Number.isNaN(t)) throw new BadRequest(`Invalid input for query parameters ${name}. Value: ${showValue(v)}. '${showValue(v)}' is not a 'date-time'`);
  return new Date(t).toISOString();
}

export function registerMigrationRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { db, policy, conf } = deps;
  const versionPrefix = app.prefix;
  const RULE = 'os_compute_api:os-migrations:index';

  function view(request: FastifyRequest, m: MigrationRow): Record<string, unknown> {
    const v = request.apiVersion;
    const out: Record<string, unknown> = {
      id: m.id, created_at: isoZ(m.created_at), updated_at: isoZ(m.updated_at), source_compute: m.source_compute,
      dest_compute: m.dest_compute, source_node: m.source_node, dest_node: m.dest_node, dest_host: m.dest_host,
      old_instance_type_id: m.old_instance_type_id, new_instance_type_id: m.new_instance_type_id,
      instance_uuid: m.instance_uuid, status: m.status,
    };
    if (v.atLeast('2.23')) {
      out.migration_type = m.migration_type;
      if (m.migration_type === 'live-migration' && LIVE_IN_PROGRESS.has(m.status)) {
        out.links = resourceLinks(linkBase(request, versionPrefix), `servers/${m.instance_uuid}/migrations`, m.id);
      }
    }
    if (v.atLeast('2.59')) out.uuid = m.uuid;
    if (v.atLeast('2.80')) {
      out.user_id = m.user_id;
      out.project_id = m.project_id;
    }
    return out;
  }

  app.get('/os-migrations', async (request) => {
    const v = request.apiVersion;
    // A project manager may list their own project's migrations; all of them is an admin's.
    policy.authorize(RULE, { project_id: request.auth.projectId }, request.auth);
    const paged = v.atLeast('2.59');
    if (paged) {
      rejectUnknown(request, [...V20_QUERY, 'limit', 'marker', 'changes-since',
        ...(v.atLeast('2.66') ? ['changes-before'] : []), ...(v.atLeast('2.80') ? ['user_id', 'project_id'] : [])]);
    }
    const f: MigrationFilters = {};
    const hidden = lastQueryValue(request, 'hidden');
    if (hidden !== undefined) f.hidden = BOOLEAN_TRUE.has(hidden.toLowerCase());
    const host = lastQueryValue(request, 'host');
    const sourceCompute = lastQueryValue(request, 'source_compute');
    // Hosts are an admin's business: others cannot filter by them.
    if ((host !== undefined || sourceCompute !== undefined) && policy.allowed(`${RULE}:host`, {}, request.auth)) {
      if (host !== undefined) f.host = host;
      if (sourceCompute !== undefined) f.sourceCompute = sourceCompute;
    }
    const instanceUuid = lastQueryValue(request, 'instance_uuid');
    if (instanceUuid !== undefined) f.instanceUuid = instanceUuid;
    const status = lastQueryValue(request, 'status');
    if (status !== undefined) f.status = status;
    const type = lastQueryValue(request, 'migration_type');
    if (type !== undefined) f.migrationType = type;
    if (paged) {
      f.changesSince = dateTimeParam(request, 'changes-since');
      if (v.atLeast('2.66')) f.changesBefore = dateTimeParam(request, 'changes-before');
      if (f.changesSince && f.changesBefore && f.changesBefore < f.changesSince) {
        throw new BadRequest('The value of changes-since must be less than or equal to changes-before.');
      }
      if (f.changesSince === undefined) delete f.changesSince;
      if (f.changesBefore === undefined) delete f.changesBefore;
    }
    if (v.atLeast('2.80')) {
      const userId = lastQueryValue(request, 'user_id');
      const projectId = lastQueryValue(request, 'project_id');
      if (userId !== undefined) f.userId = userId;
      if (projectId !== undefined) f.projectId = projectId;
    }
    if (!policy.allowed(`${RULE}:all_projects`, { project_id: request.auth.projectId }, request.auth)) f.projectId = request.auth.projectId;

    let limit: number | undefined;
    let marker: string | undefined;
    if (paged) {
      const l = lastQueryValue(request, 'limit');
      if (l !== undefined && !/^\d{1,15}$/.test(l)) throw new BadRequest(`Invalid input for query parameters limit. Value: ${showValue(l)}. '${showValue(l)}' does not match '^[0-9]*$'`);
      limit = Math.min(l === undefined ? conf.api.max_limit : Number(l), conf.api.max_limit);
      marker = lastQueryValue(request, 'marker');
    }
    let rows: MigrationRow[];
    try {
      rows = await listMigrations(db, f, { ...(limit !== undefined ? { limit } : {}), ...(marker !== undefined ? { marker } : {}) });
    } catch (err) {
      if (err instanceof MigrationMarkerNotFound) throw new BadRequest(err.message);
      throw err;
    }
    const visible = rows.filter((m) => m.hidden === 0);
    const body: Record<string, unknown> = { migrations: visible.map((m) => view(request, m)) };
    if (paged && limit !== undefined && visible.length > 0 && visible.length === limit) {
      const params = new URLSearchParams();
      for (const [k, val] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
        if (k === 'marker') continue;
        for (const one of ([] as unknown[]).concat(val)) if (typeof one === 'string') params.append(k, one);
      }
      params.set('marker', visible.at(-1)!.uuid);
      const links: Link[] = [{ rel: 'next', href: `${linkBase(request, versionPrefix).self}/os-migrations?${params.toString()}` }];
      body.migrations_links = links;
    }
    return body;
  });

  /** Nova's server_migrations view: the progress counters in bytes, server_uuid rather than instance_uuid. */
  function serverMigrationView(request: FastifyRequest, m: MigrationRow): Record<string, unknown> {
    const v = request.apiVersion;
    const out: Record<string, unknown> = {
      created_at: isoZ(m.created_at), dest_compute: m.dest_compute, dest_host: m.dest_host, dest_node: m.dest_node,
      disk_processed_bytes: m.disk_processed, disk_remaining_bytes: m.disk_remaining, disk_total_bytes: m.disk_total, id: m.id,
      memory_processed_bytes: m.memory_processed, memory_remaining_bytes: m.memory_remaining, memory_total_bytes: m.memory_total,
      server_uuid: m.instance_uuid, source_compute: m.source_compute, source_node: m.source_node, status: m.status, updated_at: isoZ(m.updated_at),
    };
    if (v.atLeast('2.59')) out.uuid = m.uuid;
    if (v.atLeast('2.80')) {
      out.user_id = m.user_id;
      out.project_id = m.project_id;
    }
    return out;
  }

  /** Below the route's microversion the resource does not exist (404, as Nova's version-routed controllers). */
  function requireVersion(request: FastifyRequest, min: string): void {
    if (!request.apiVersion.atLeast(min)) throw new NotFound('The resource could not be found.');
  }

  app.get<{ Params: { id: string } }>('/servers/:id/migrations', async (request) => {
    requireVersion(request, '2.23');
    const rows = await deps.computeApi.moves.listInProgress(request.auth, request.params.id);
    return { migrations: rows.map((m) => serverMigrationView(request, m)) };
  });

  app.get<{ Params: { id: string; mid: string } }>('/servers/:id/migrations/:mid', async (request) => {
    requireVersion(request, '2.23');
    return { migration: serverMigrationView(request, await deps.computeApi.moves.showInProgress(request.auth, request.params.id, request.params.mid)) };
  });

  app.post<{ Params: { id: string; mid: string } }>('/servers/:id/migrations/:mid/action', async (request, reply) => {
    requireVersion(request, '2.22');
    validate(forceCompleteSchema, request.body);
    await deps.computeApi.moves.forceComplete(request.auth, String(request.id), request.params.id, request.params.mid);
    return reply.code(202).send();
  });

  app.delete<{ Params: { id: string; mid: string } }>('/servers/:id/migrations/:mid', async (request, reply) => {
    requireVersion(request, '2.24');
    await deps.computeApi.moves.abort(request.auth, String(request.id), request.params.id, request.params.mid, request.apiVersion.atLeast('2.65'));
    return reply.code(202).send();
  });
}
