/**
 * os-quota-sets (a project's limits, or a user's within it) and
 * os-quota-class-sets (the `default` class every project starts from). The
 * limits written here are the ones POST /servers enforces and /limits shows.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest } from '../../errors.js';
import { showValue, validate } from '../../http/validation.js';
import { INT32_MAX } from '../../db/integer-range.js';
import {
  deleteLimits, effectiveLimits, isCounted, quotaClassLimits, setClassLimits, setLimits, usageForDetail,
  type QuotaResource, type QuotaSet,
} from '../quota.js';
import type { ComputeApiDeps } from './deps.js';
import { queryParam, rejectUnknownQuery } from './schemas/flavors.js';
import { shownResources, updateQuotaClassSchema, updateQuotaSetSchema } from './schemas/quota-sets.js';

type P = { Params: { id: string } };

const TRUE_WORDS = ['true', '1', 'yes', 'on', 't', 'y'];

function pick<T>(values: Record<QuotaResource, T>, shown: QuotaResource[]): Partial<Record<QuotaResource, T>> {
  const out: Partial<Record<QuotaResource, T>> = {};
  for (const r of shown) out[r] = values[r];
  return out;
}

/** A quota value from the body as a number: digits are allowed, and checked against the column's range here. */
function quotaNumber(resource: string, v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < -1 || n > INT32_MAX) {
    throw new BadRequest(`Invalid input for field/attribute ${resource}. Value: ${showValue(v)}. Must be an integer from -1 to ${INT32_MAX}`);
  }
  return n;
}

export function registerQuotaSetRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { db, policy, conf } = deps;
  const rule = (r: string) => `os_compute_api:os-quota-sets:${r}`;

  const userIdOf = (request: FastifyRequest): string | null => {
    if (request.apiVersion.atLeast('2.75')) rejectUnknownQuery(request, ['user_id']);
    const u = queryParam(request, 'user_id');
    return u === undefined || u === '' ? null : u;
  };
  const setShown = (request: FastifyRequest) => shownResources((v) => request.apiVersion.atLeast(v), '2.36');

  const limitsFor = async (projectId: string, userId: string | null): Promise<QuotaSet> => {
    const l = await effectiveLimits(db, conf.quota, projectId, userId ?? '');
    return userId === null ? l.project : l.user;
  };

  app.get<P>('/os-quota-sets/:id', async (request) => {
    const projectId = request.params.id;
    policy.authorize(rule('show'), { project_id: projectId }, request.auth);
    const userId = userIdOf(request);
    return { quota_set: { id: projectId, ...pick(await limitsFor(projectId, userId), setShown(request)) } };
  });

  app.get<P>('/os-quota-sets/:id/detail', async (request) => {
    const projectId = request.params.id;
    policy.authorize(rule('detail'), { project_id: projectId }, request.auth);
    const userId = userIdOf(request);
    const limits = await limitsFor(projectId, userId);
    const usage = await usageForDetail(db, projectId, userId ?? undefined);
    const detail = {} as Record<QuotaResource, { limit: number; in_use: number; reserved: number }>;
    for (const r of setShown(request)) detail[r] = { limit: limits[r], in_use: usage[r] ?? 0, reserved: 0 };
    return { quota_set: { id: projectId, ...detail } };
  });

  app.get<P>('/os-quota-sets/:id/defaults', async (request) => {
    const projectId = request.params.id;
    policy.authorize(rule('defaults'), { project_id: projectId }, request.auth);
    return { quota_set: { id: projectId, ...pick(await quotaClassLimits(db, conf.quota), setShown(request)) } };
  });

  app.put<P>('/os-quota-sets/:id', async (request) => {
    const projectId = request.params.id;
    const atLeast = (v: string) => request.apiVersion.atLeast(v);
    validate(updateQuotaSetSchema(atLeast), request.body);
    policy.authorize(rule('update'), { project_id: projectId }, request.auth);
    const userId = userIdOf(request);
    const body = (request.body as { quota_set: Record<string, unknown> }).quota_set;
    if (Object.hasOwn(body, 'networks')) throw new BadRequest('The networks quota has been removed');
    const force = Object.hasOwn(body, 'force') && TRUE_WORDS.includes(showValue(body.force).toLowerCase());

    const values: Partial<QuotaSet> = {};
    const current = await effectiveLimits(db, conf.quota, projectId, userId ?? '');
    const usage = force ? {} : await usageForDetail(db, projectId, userId ?? undefined);
    for (const [key, raw] of Object.entries(body)) {
      if (key === 'force') continue;
      const resource = key as QuotaResource;
      const limit = quotaNumber(key, raw);
      if (!force) {
        // Nova's settable range: not below what is in use, and a user's not above its project's.
        const minimum = isCounted(resource) ? usage[resource] ?? 0 : 0;
        if (limit !== -1 && limit < minimum) {
          throw new BadRequest(`Quota limit ${limit} for ${key} must be greater than or equal to already used and reserved ${minimum}.`);
        }
        const maximum = userId === null ? -1 : current.project[resource];
        if (maximum !== -1 && (limit === -1 || limit > maximum)) {
          throw new BadRequest(`Quota limit ${limit} for ${key} must be less than or equal to ${maximum}.`);
        }
      }
      values[resource] = limit;
    }
    await setLimits(db, projectId, userId, values);
    return { quota_set: pick(await limitsFor(projectId, userId), setShown(request)) };
  });

  app.delete<P>('/os-quota-sets/:id', async (request, reply) => {
    const projectId = request.params.id;
    policy.authorize(rule('delete'), { project_id: projectId }, request.auth);
    await deleteLimits(db, projectId, userIdOf(request));
    return reply.code(202).send();
  });

  // ---- os-quota-class-sets ------------------------------------------------

  const classShown = (request: FastifyRequest) => {
    const shown = shownResources((v) => request.apiVersion.atLeast(v), '2.50');
    // Before 2.50 the class view has no server group quotas.
    return request.apiVersion.atLeast('2.50') ? shown : shown.filter((r) => r !== 'server_groups' && r !== 'server_group_members');
  };

  const className = (id: string) => {
    if (id.length < 1 || id.length > 255) throw new BadRequest('quota_class_name has a length outside 1-255 characters.');
    return id;
  };

  app.get<P>('/os-quota-class-sets/:id', async (request) => {
    policy.authorize('os_compute_api:os-quota-class-sets:show', {}, request.auth);
    const name = className(request.params.id);
    return { quota_class_set: { id: name, ...pick(await quotaClassLimits(db, conf.quota, name), classShown(request)) } };
  });

  app.put<P>('/os-quota-class-sets/:id', async (request) => {
    validate(updateQuotaClassSchema((v) => request.apiVersion.atLeast(v)), request.body);
    policy.authorize('os_compute_api:os-quota-class-sets:update', {}, request.auth);
    const name = className(request.params.id);
    const body = (request.body as { quota_class_set: Record<string, unknown> }).quota_class_set;
    const values: Partial<QuotaSet> = {};
    for (const [key, raw] of Object.entries(body)) {
      // Nova stores what it is given and ignores the removed `networks`.
      if (key === 'networks') continue;
      values[key as QuotaResource] = quotaNumber(key, raw);
    }
    await setClassLimits(db, name, values);
    return { quota_class_set: pick(await quotaClassLimits(db, conf.quota, name), classShown(request)) };
  });
}
