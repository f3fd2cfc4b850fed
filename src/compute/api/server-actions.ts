/**
 * POST /servers/{id}/action: one handler per action name, each validating its
 * body (per microversion where Nova's schema changes) and calling ComputeAPI.
 * Another action is one more entry in SERVER_ACTIONS.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest, NotFound } from '../../errors.js';
import { showValue, validate } from '../../http/validation.js';
import type { PowerActionName } from '../power-action-rules.js';
import type { ComputeApiDeps } from './deps.js';
import { consoleOutputSchema, rebootSchema } from './schemas/servers.js';
import { SECURITY_GROUP_ACTIONS } from './security-groups.js';
import { SHELVE_ACTIONS } from './shelve.js';
import { CONSOLE_ACTIONS } from './remote-consoles.js';
import { MIGRATE_SERVER_ACTIONS } from './migrate-server.js';
import { randomBytes } from 'node:crypto';
import { changePasswordSchema, createBackupSchema, createImageSchema, lockV273Schema, migrateV256Schema, resizeSchema, novaBooleanValue, rebuildSchema, rescueSchema, resetStateSchema, triggerCrashDumpSchema } from './schemas/server-actions.js';
import { getMetadata } from '../instance-store.js';
import { publicBase } from '../../http/links.js';
import { rebuildView } from './views/server-actions.js';
import { viewContext, viewExtras } from './servers.js';

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

/** 2.45 answers with the image id in the body; before it, in a Location header (a backup with rotation 0 has none). */
function imageAnswer(a: ActionRequest, imageId: string, withLocation: boolean) {
  a.reply.code(202);
  if (a.request.apiVersion.atLeast('2.45')) return { image_id: imageId };
  if (withLocation) a.reply.header('location', `${publicBase(a.request)}/compute/v2.1/images/${imageId}`);
  return a.reply.send();
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
  rebuild: {
    async handle(a) {
      const v = a.request.apiVersion;
      validate(rebuildSchema(v), a.body);
      const r = a.arg as Record<string, any>;
      const adminPass: string = r.adminPass ?? randomBytes(9).toString('base64url').slice(0, 12);
      const row = await a.deps.computeApi.actions.rebuild(a.request.auth, a.rid, a.id, {
        imageRef: r.imageRef, adminPass, name: r.name, metadata: r.metadata, accessIPv4: r.accessIPv4, accessIPv6: r.accessIPv6,
        description: v.atLeast('2.19') ? r.description : undefined,
        preserveEphemeral: novaBooleanValue(r.preserve_ephemeral),
        keyName: v.atLeast('2.54') && Object.hasOwn(r, 'key_name') ? r.key_name : undefined,
        userData: v.atLeast('2.57') && Object.hasOwn(r, 'user_data') ? r.user_data : undefined,
        autoDiskConfig: r['OS-DCF:diskConfig'] === undefined ? undefined : r['OS-DCF:diskConfig'] === 'AUTO',
        trustedCerts: v.atLeast('2.63') && Object.hasOwn(r, 'trusted_image_certificates') ? r.trusted_image_certificates : undefined,
        injectedFiles: !v.atLeast('2.57') && Array.isArray(r.personality) && r.personality.length > 0
          ? (r.personality as Array<{ path: string; contents: string }>).map((f) => ({ path: f.path, contents: f.contents })) : undefined,
        hostname: v.atLeast('2.90') ? r.hostname : undefined,
      }, { trustedCerts: v.atLeast('2.63') && Object.hasOwn(r, 'trusted_image_certificates') });
      const md = await getMetadata(a.deps.db, [row.uuid]);
      const ctx = viewContext(a.deps, a.request, { project_id: row.project_id, user_id: row.user_id });
      a.reply.code(202).header('location', `${publicBase(a.request)}/compute/v2.1/servers/${row.uuid}`);
      return { server: rebuildView(row, md.get(row.uuid) ?? {}, ctx, adminPass, await viewExtras(a.deps, a.request, row.uuid)) };
    },
  },
  rescue: {
    async handle(a) {
      validate(rescueSchema, a.body);
      const r = (a.arg ?? {}) as { adminPass?: string; rescue_image_ref?: string };
      const adminPass = r.adminPass ?? randomBytes(9).toString('base64url').slice(0, 12);
      await a.deps.computeApi.actions.rescue(a.request.auth, a.rid, a.id, { adminPass, rescueImageRef: r.rescue_image_ref });
      // Nova answers 200 with the password of the rescue system.
      return { adminPass };
    },
  },
  unrescue: noSchemaAction('unrescue', (a) => a.deps.computeApi.actions.unrescue(a.request.auth, a.rid, a.id)),
  createImage: {
    async handle(a) {
      validate(createImageSchema, a.body);
      const r = a.arg as { name: string; metadata?: Record<string, string> };
      const imageId = await a.deps.computeApi.actions.createImage(a.request.auth, a.rid, a.id, r.name, r.metadata ?? {});
      return imageAnswer(a, imageId, true);
    },
  },
  createBackup: {
    async handle(a) {
      validate(createBackupSchema, a.body);
      const r = a.arg as { name: string; backup_type: string; rotation: number | string; metadata?: Record<string, string> };
      const rotation = Number(r.rotation);
      const imageId = await a.deps.computeApi.actions.createImage(a.request.auth, a.rid, a.id, r.name, r.metadata ?? {}, { type: r.backup_type, rotation });
      return imageAnswer(a, imageId, rotation > 0);
    },
  },
  resize: {
    async handle(a) {
      validate(resizeSchema, a.body);
      const flavorRef = (a.arg as { flavorRef: string | number }).flavorRef;
      const diskConfig = (a.arg as { 'OS-DCF:diskConfig'?: 'AUTO' | 'MANUAL' })['OS-DCF:diskConfig'];
      await a.deps.computeApi.actions.resizeOrMigrate(a.request.auth, a.rid, a.id, {
        flavorRef: typeof flavorRef === 'number' ? flavorRef.toString() : flavorRef,
        autoDiskConfig: diskConfig === undefined ? undefined : diskConfig === 'AUTO',
      });
      return a.reply.code(202).send();
    },
  },
  migrate: {
    async handle(a) {
      let host: string | null = null;
      if (a.request.apiVersion.atLeast('2.56')) {
        validate(migrateV256Schema, a.body);
        host = (a.arg as { host?: string | null } | null)?.host ?? null;
      } else {
        requireNullOrObject('migrate', a.arg);
      }
      await a.deps.computeApi.actions.resizeOrMigrate(a.request.auth, a.rid, a.id, { host });
      return a.reply.code(202).send();
    },
  },
  confirmResize: {
    async handle(a) {
      requireNullOrObject('confirmResize', a.arg);
      await a.deps.computeApi.actions.confirmResize(a.request.auth, a.rid, a.id);
      return a.reply.code(204).send();
    },
  },
  revertResize: noSchemaAction('revertResize', (a) => a.deps.computeApi.actions.revertResize(a.request.auth, a.rid, a.id)),
  ...MIGRATE_SERVER_ACTIONS,
  trigger_crash_dump: {
    minVersion: '2.17',
    async handle(a) {
      validate(triggerCrashDumpSchema, a.body);
      await a.deps.computeApi.actions.triggerCrashDump(a.request.auth, a.rid, a.id);
      return a.reply.code(202).send();
    },
  },
  ...SHELVE_ACTIONS,
  ...CONSOLE_ACTIONS,
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
    if (Object.hasOwn(SECURITY_GROUP_ACTIONS, name)) return SECURITY_GROUP_ACTIONS[name](deps, request, reply);
    await deps.computeApi.authorizeOn(request.auth, request.params.id, 'os_compute_api:servers:show');
    throw new NotFound(`There is no such action: ${showValue(name)}`);
  });
}
