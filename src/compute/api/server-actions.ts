/** POST /servers/{id}/action: power actions (202, the work goes to the host). */
import type { FastifyInstance } from 'fastify';
import { BadRequest, NotFound } from '../../http/errors.js';
import { validate } from '../../http/validation.js';
import type { PowerActionName } from '../power-action-rules.js';
import type { ComputeApiDeps } from './deps.js';
import { consoleOutputSchema, rebootSchema } from './schemas/servers.js';
import { SECURITY_GROUP_ACTIONS } from './security-groups.js';

const SIMPLE_ACTIONS: Record<string, PowerActionName> = {
  'os-start': 'start', 'os-stop': 'stop', pause: 'pause', unpause: 'unpause', suspend: 'suspend', resume: 'resume',
};

export function registerServerActionRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  app.post<{ Params: { id: string } }>('/servers/:id/action', async (request, reply) => {
    const body = request.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('Malformed request body');
    const keys = Object.keys(body);
    if (keys.length !== 1) throw new BadRequest('There is either no action or more than one action in the request body');
    const [name] = keys;
    const rid = String(request.id);
    if (Object.hasOwn(SIMPLE_ACTIONS, name)) {
      const arg = (body as Record<string, unknown>)[name];
      if (arg !== null && (typeof arg !== 'object' || Array.isArray(arg))) throw new BadRequest(`Invalid input for field/attribute ${name}. Value: ${JSON.stringify(arg)}. must be null or object`);
      await deps.computeApi.powerAction(request.auth, rid, request.params.id, SIMPLE_ACTIONS[name]);
      return reply.code(202).send();
    }
    if (name === 'reboot') {
      validate(rebootSchema, body);
      const type = String((body as { reboot: { type: string } }).reboot.type).toUpperCase();
      await deps.computeApi.powerAction(request.auth, rid, request.params.id, 'reboot', { reboot_type: type });
      return reply.code(202).send();
    }
    if (name === 'os-getConsoleOutput') {
      validate(consoleOutputSchema, body);
      const raw = (body as { 'os-getConsoleOutput': { length?: number | string | null } })['os-getConsoleOutput'].length;
      const length = raw === undefined || raw === null ? null : Number(raw);
      const output = await deps.computeApi.getConsoleOutput(request.auth, rid, request.params.id, length);
      return { output };
    }
    if (Object.hasOwn(SECURITY_GROUP_ACTIONS, name)) return SECURITY_GROUP_ACTIONS[name](deps, request, reply);
    await deps.computeApi.authorizeOn(request.auth, request.params.id, 'os_compute_api:servers:show');
    throw new NotFound(`There is no such action: ${name}`);
  });
}
