/** /servers/{id}/os-instance-actions: what was done to a server, by whom, and how each step went. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actionEvents, getAction, listActions, type ActionListOptions } from '../instance-action-store.js';
import { NotFound, BadRequest } from '../../errors.js';
import type { ComputeApiDeps } from './deps.js';
import { hostId } from './views/servers.js';
// Nova renders these rows' datetimes as naive microsecond timestamps (no Z): clients parse exactly that.
import { novaTimestamp } from './views/keypairs.js';
import { lastQueryValue } from './proxy-versions.js';

type P = { Params: { id: string; requestId?: string }; Querystring: { limit?: string; marker?: string; 'changes-since'?: string } };

function actionView(a: { action: string; instance_uuid: string; message: string | null; project_id: string; request_id: string; start_time: string; user_id: string; updated_at: string | null }, v258: boolean) {
  return {
    action: a.action, instance_uuid: a.instance_uuid, message: a.message, project_id: a.project_id,
    request_id: a.request_id, start_time: novaTimestamp(a.start_time), user_id: a.user_id,
    ...(v258 ? { updated_at: novaTimestamp(a.updated_at ?? a.start_time) } : {}),
  };
}

export function registerInstanceActionRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { db, policy, computeApi } = deps;
  // From 2.21 the actions of a deleted server can still be read (Nova reads deleted instances there).
  const server = (request: FastifyRequest<P>, rule: string) =>
    computeApi.authorizeOn(request.auth, request.params.id, rule, { readDeleted: request.apiVersion.atLeast('2.21') });

  app.get<P>('/servers/:id/os-instance-actions', async (request) => {
    const row = await server(request, 'os_compute_api:os-instance-actions:list');
    const v258 = request.apiVersion.atLeast('2.58');
    const opts: ActionListOptions = {};
    if (v258) {
      // A repeated parameter counts once, by its last value, as webob's GET.get reads it.
      const limit = lastQueryValue(request, 'limit');
      const marker = lastQueryValue(request, 'marker');
      if (limit !== undefined) {
        if (!/^\d+$/.test(limit)) throw new BadRequest('limit param must be an integer');
        opts.limit = Math.min(Number(limit), deps.conf.api.max_limit);
      }
      opts.marker = marker;
      const since = lastQueryValue(request, 'changes-since');
      if (since !== undefined) {
        const t = Date.parse(since);
        if (Number.isNaN(t)) throw new BadRequest(`Invalid input for query parameters changes-since. Value: ${since}. '${since}' is not a 'date-time'`);
        opts.changesSince = new Date(t).toISOString();
      }
    }
    const rows = await listActions(db, row.uuid, opts);
    return { instanceActions: rows.map((a) => actionView(a, v258)) };
  });

  app.get<P>('/servers/:id/os-instance-actions/:requestId', async (request) => {
    const row = await server(request, 'os_compute_api:os-instance-actions:show');
    const action = await getAction(db, row.uuid, request.params.requestId as string);
    if (!action) throw new NotFound(`Action for request_id ${request.params.requestId} on instance ${row.uuid} not found`);
    const view: Record<string, unknown> = actionView(action, request.apiVersion.atLeast('2.58'));
    const target = { project_id: row.project_id };
    const v = request.apiVersion;
    // The events policy shows everything; from 2.51 anyone who may see the
    // action sees its events too, without traceback or host.
    const allEvents = policy.allowed('os_compute_api:os-instance-actions:events', target, request.auth);
    if (allEvents || v.atLeast('2.51')) {
      const showDetails = v.atLeast('2.84') && policy.allowed('os_compute_api:os-instance-actions:events:details', target, request.auth);
      const events = await actionEvents(db, action.id);
      view.events = events.map((e) => ({
        event: e.event, start_time: novaTimestamp(e.start_time), finish_time: novaTimestamp(e.finish_time), result: e.result,
        ...(allEvents ? { traceback: e.traceback } : {}),
        ...(v.atLeast('2.62') ? { hostId: hostId(row.project_id, e.host), ...(allEvents ? { host: e.host } : {}) } : {}),
        ...(showDetails ? { details: e.details } : {}),
      }));
    }
    return { instanceAction: view };
  });
}
