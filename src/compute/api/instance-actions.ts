/** /servers/{id}/os-instance-actions: what was done to a server, by whom, and how each step went. */
import type { FastifyInstance } from 'fastify';
import { NotFound, BadRequest } from '../../errors.js';
import type { ComputeApiDeps } from './deps.js';
import { hostId } from './views/servers.js';
// Nova renders these rows' datetimes as naive microsecond timestamps (no Z): clients parse exactly that.
import { novaTimestamp } from './views/keypairs.js';

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

  app.get<P>('/servers/:id/os-instance-actions', async (request) => {
    const row = await computeApi.authorizeOn(request.auth, request.params.id, 'os_compute_api:os-instance-actions:list');
    const v258 = request.apiVersion.atLeast('2.58');
    let q = db.selectFrom('instance_actions').selectAll().where('instance_uuid', '=', row.uuid).orderBy('start_time', 'desc').orderBy('id', 'desc');
    if (v258) {
      const { limit, marker } = request.query;
      if (limit !== undefined) {
        if (!/^\d+$/.test(limit)) throw new BadRequest('limit param must be an integer');
        q = q.limit(Math.min(Number(limit), deps.conf.api.max_limit));
      }
      if (marker) {
        const m = await db.selectFrom('instance_actions').select(['id']).where('instance_uuid', '=', row.uuid).where('request_id', '=', marker).executeTakeFirst();
        if (!m) throw new BadRequest(`Marker ${marker} could not be found.`);
        q = q.where('id', '<', m.id);
      }
      const since = request.query['changes-since'];
      if (since !== undefined) {
        const t = Date.parse(since);
        if (Number.isNaN(t)) throw new BadRequest(`Invalid input for query parameters changes-since. Value: ${since}. '${since}' is not a 'date-time'`);
        q = q.where('updated_at', '>=', new Date(t).toISOString());
      }
    }
    const rows = await q.execute();
    return { instanceActions: rows.map((a) => actionView(a, v258)) };
  });

  app.get<P>('/servers/:id/os-instance-actions/:requestId', async (request) => {
    const row = await computeApi.authorizeOn(request.auth, request.params.id, 'os_compute_api:os-instance-actions:show');
    const action = await db.selectFrom('instance_actions').selectAll()
      .where('instance_uuid', '=', row.uuid).where('request_id', '=', request.params.requestId as string).executeTakeFirst();
    if (!action) throw new NotFound(`Action for request_id ${request.params.requestId} on instance ${row.uuid} not found`);
    const view: Record<string, unknown> = actionView(action, request.apiVersion.atLeast('2.58'));
    const target = { project_id: row.project_id };
    const v = request.apiVersion;
    // The events policy shows everything; from 2.51 anyone who may see the
    // action sees its events too, without traceback or host.
    const allEvents = policy.allowed('os_compute_api:os-instance-actions:events', target, request.auth);
    if (allEvents || v.atLeast('2.51')) {
      const showDetails = v.atLeast('2.84') && policy.allowed('os_compute_api:os-instance-actions:events:details', target, request.auth);
      const events = await db.selectFrom('instance_actions_events').selectAll().where('action_id', '=', action.id).orderBy('id').execute();
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
