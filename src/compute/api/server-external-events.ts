/**
 * POST /os-server-external-events: other services (Neutron, Cinder, Cyborg)
 * tell compute that something it may be waiting for happened. Each event is
 * answered on its own: 200 accepted, 404 unknown server, 422 server on no
 * host, 400 tag missing; the whole answer is 207 when any failed.
 *
 * Nothing here waits on them: the network service plugs ports in-process
 * and the fake and libvirt drivers do not pause a boot for a vif-plugged
 * event, so an accepted event is acknowledged and logged.
 */
import type { FastifyInstance } from 'fastify';
import { validate } from '../../http/validation.js';
import { hostsOf } from '../instance-store.js';
import type { ComputeApiDeps } from './deps.js';
import { externalEventsSchema, TAG_REQUIRED, type ExternalEvent } from './schemas/server-external-events.js';

export function registerServerExternalEventRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  app.post('/os-server-external-events', async (request, reply) => {
    // An empty target: Neutron calls with its own project, not the server's.
    deps.policy.authorize('os_compute_api:os-server-external-events:create', {}, request.auth);
    validate(externalEventsSchema(request.apiVersion), request.body);
    const events = (request.body as { events: ExternalEvent[] }).events;
    const hosts = await hostsOf(deps.db, [...new Set(events.map((e) => e.server_uuid))]);
    let code = 200;
    const answered = events.map((event) => {
      const host = hosts.get(event.server_uuid);
      let result: { status: string; code: number };
      if (host === undefined) result = { status: 'failed', code: 404 };
      else if (TAG_REQUIRED.has(event.name) && event.tag === undefined) result = { status: 'failed', code: 400 };
      else if (host === null) result = { status: 'failed', code: 422 };
      else result = { status: 'completed', code: 200 };
      if (result.code !== 200) code = 207;
      else request.log.info({ instance: event.server_uuid, event: event.name, tag: event.tag, host }, 'external event accepted');
      return { ...event, ...result };
    });
    return reply.code(code).send({ events: answered });
  });
}
