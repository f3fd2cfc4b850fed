/**
 * POST /servers/{id}/action: one handler per action name, each validating its
 * body (per microversion where Nova's schema changes) and calling ComputeAPI.
 * Another action is one more entry in SERVER_ACTIONS.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest, NotFound } from '../../http/errors.js';
import { showValue, validate } from '../../http/validation.js';
import type { PowerActionName } from '../power-action-rules.js';
import type { ComputeApiDeps } from './deps.js';
import { consoleOutputSchema, rebootSchema } from './schemas/servers.js';
import { changePasswordSchema, lockV273Schema, resetStateSchema, triggerCrashDumpSchema } from './schemas/server-actions.js';

export interface ActionRequest {
  request: FastifyRequest<{ Params: { id: string } }>;
  reply: FastifyReply;
  deps: ComputeApiDeps;
  /** The server's id from the path. */
  id: string;
  /** The request id, carried into the instance action. */
  rid: string;
  /** The whole body ({ <action>: <argument> }) and the argument alone. */
  body: Record<string, unknown>;
  arg: unknown;
}

export interface ActionHandler {
  /** The lowest microversion the action exists at; below it the action is unknown (404). */
  minVersion?: string;
  handle(a: ActionRequest): Promise<unknown>;
}

/** Actions Nova gives no schema: the argument may be null or an object. */
function requireNullOrObject(name: string, arg: unknown): void {
  if (arg !== null && (typeof arg !== 'object' || Array.isArray(arg))) {
    throw new BadRequest(`Invalid input for field/attribute ${name}. Value: ${showValue(arg)}. must be null or object`);
  }
}

function powerAction(name: string, action: PowerActionName): ActionHandler {
  return {
    async handle(a) {
      requireNullOrObject(name, a.arg);
      await a.deps.computeApi.powerAction(a.request.auth, a.rid, a.id, action);
      return a.reply.code(202).send();
    },
  };
}

function noSchemaAction(name: string, run: (a: ActionRequest) => Promise<void>): ActionHandler {
  return {
    async handle(a) {
      requireNullOrObject(name, a.arg);
      await run(a);
      return a.reply.code(202).send();
    },
  };
}

export const SERVER_ACTIONS: Record<string, ActionHandler> = {
  'os-start': powerAction('os-start', 'start'),
  'os-stop': powerAction('os-stop', 'stop'),
  pause: powerAction('pause', 'pause'),
  unpause: powerAction('unpause', 'unpause'),
  suspend: powerAction('suspend', 'suspend'),
  resume: powerAction('resume', 'resume'),
  reboot: {
    async handle(a) {
      validate(rebootSchema, a.body);
      const type = (a.arg as { type: string }).type.toUpperCase();
      await a.deps.computeApi.powerAction(a.request.auth, a.rid, a.id, 'reboot', { reboot_type: type });
      return a.reply.code(202).send();
    },
  },
  'os-getConsoleOutput': {
    async handle(a) {
      validate(consoleOutputSchema, a.body);
      const raw = (a.arg as { length?: number | string | null }).length;
      const length = raw === undefined || raw === null ? null : Number(raw);
      const output = await a.deps.computeApi.getConsoleOutput(a.request.auth, a.rid, a.id, length);
      return { output };
    },
  },
  lock: {
    async handle(a) {
      let reason: string | null = null;
      if (a.request.apiVersion.atLeast('2.73')) {
        validate(lockV273Schema, a.body);
        reason = (a.arg as { locked_reason?: string } | null)?.locked_reason ?? null;
      } else {
        requireNullOrObject('lock', a.arg);
      }
      await a.deps.computeApi.actions.lock(a.request.auth, a.rid, a.id, reason);
      return a.reply.code(202).send();
    },
  },
  unlock: noSchemaAction('unlock', (a) => a.deps.computeApi.actions.unlock(a.request.auth, a.rid, a.id)),
  'os-resetState': {
    async handle(a) {
      validate(resetStateSchema, a.body);
      await a.deps.computeApi.actions.resetState(a.request.auth, a.rid, a.id, (a.arg as { state: 'active' | 'error' }).state);
      return a.reply.code(202).send();
    },
  },
  changePassword: {
    async handle(a) {
      validate(changePasswordSchema, a.body);
      await a.deps.computeApi.actions.changePassword(a.request.auth, a.rid, a.id, (a.arg as { adminPass: string }).adminPass);
      return a.reply.code(202).send();
    },
  },
  restore: noSchemaAction('restore', (a) => a.deps.computeApi.actions.restore(a.request.auth, a.rid, a.id)),
  forceDelete: noSchemaAction('forceDelete', (a) => a.deps.computeApi.actions.forceDelete(a.request.auth, a.rid, a.id)),
  trigger_crash_dump: {
    minVersion: '2.17',
    async handle(a) {
      validate(triggerCrashDumpSchema, a.body);
      await a.deps.computeApi.actions.triggerCrashDump(a.request.auth, a.rid, a.id);
      return a.reply.code(202).send();
    },
  },
};

export function registerServerActionRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  app.post<{ Params: { id: string } }>('/servers/:id/action', async (request, reply) => {
    const body = request.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('Malformed request body');
    const keys = Object.keys(body);
    if (keys.length !== 1) throw new BadRequest('There is either no action or more than one action in the request body');
    const [name] = keys;
    const handler = Object.hasOwn(SERVER_ACTIONS, name) ? SERVER_ACTIONS[name] : undefined;
    if (handler && (!handler.minVersion || request.apiVersion.atLeast(handler.minVersion))) {
      const fields = body as Record<string, unknown>;
      return handler.handle({ request, reply, deps, id: request.params.id, rid: String(request.id), body: fields, arg: fields[name] });
    }
    await deps.computeApi.authorizeOn(request.auth, request.params.id, 'os_compute_api:servers:show');
    throw new NotFound(`There is no such action: ${showValue(name)}`);
  });
}
