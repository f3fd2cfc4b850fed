/**
 * POST /os-server-external-events: other services (Neutron, Cinder) tell
 * Nova about a server. Each event is answered with its own code: 200 when
 * the server is on a host, 404 for an unknown server, 422 for one without a
 * host, 400 for an event that needs a tag; any failure makes the whole
 * answer 207 (Nova's rules). Kilonova's hosts wait for no such event (ports
 * are bound in-process), so an accepted event is recorded in the log; only
 * `network-changed` acts: the server's network info cache is refreshed after
 * the answer (Nova casts it to the compute host, which does the same).
 */
import type { FastifyInstance } from 'fastify';
import { validate } from '../../http/validation.js';
import { liveInstanceHosts } from '../instance-store.js';
import { applyNetworkChanged } from '../network-info-cache.js';
import type { ComputeApiDeps } from './deps.js';
import { externalEventsSchema, type ExternalEvent } from './schemas/server-external-events.js';

const TAG_REQUIRED = new Set(['volume-extended', 'power-update', 'accelerator-request-bound']);

export function registerServerExternalEventRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { db, policy, logger, network } = deps;

  app.post('/os-server-external-events', async (request, reply) => {
    validate(externalEventsSchema((v) => request.apiVersion.atLeast(v)), request.body);
    // No project in the target: Neutron's service user does not own the servers it reports on.
    policy.authorize('os_compute_api:os-server-external-events:create', {}, request.auth);
    const events = (request.body as { events: ExternalEvent[] }).events;
    const hosts = await liveInstanceHosts(db, [...new Set(events.map((e) => e.server_uuid))]);
    let code = 200;
    const answered = events.map((e) => {
      const out: Record<string, unknown> = { ...e };
      const host = hosts.get(e.server_uuid);
      if (host === undefined) Object.assign(out, { status: 'failed', code: 404 });
      else if (TAG_REQUIRED.has(e.name) && e.tag === undefined) Object.assign(out, { status: 'failed', code: 400 });
      else if (host) {
        Object.assign(out, { status: 'completed', code: 200 });
        logger.info({ request_id: request.id, event: e.name, tag: e.tag, instance: e.server_uuid, host }, 'external event accepted');
      } else Object.assign(out, { status: 'failed', code: 422 });
      if (out.code !== 200) code = 207;
      return out;
    });
    const changed = events.filter((e, i) => e.name === 'network-changed' && answered[i]!.code === 200);
    if (changed.length > 0) void applyNetworkChanged({ db, network, logger }, changed);
    return reply.code(code).send({ events: answered });
  });
}
