/** /allocations/{consumer_uuid} (GET, PUT, DELETE) and POST /allocations (1.13). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, BadRequest, Conflict, NotFound } from '../../errors.js';
import { MAX_INT } from '../standard.js';
import type { WriteResult } from '../allocations.js';
import type { AllocationRequest, ConsumerWrite } from '../types.js';
import { allow, atLeast, noContent, since, type PlacementRouteDeps } from './common.js';
import * as v from './validate.js';

/** Placement's stand-in owner for consumers written before project/user were required (< 1.8). */
const INCOMPLETE_CONSUMER_ID = '00000000-0000-0000-0000-000000000000';
const CONSUMER_TYPE_RE = /^[A-Z0-9_]+$/;

function resources(raw: unknown, path: string): Record<string, number> {
  const o = v.object(raw, path);
  const keys = Object.keys(o);
  if (keys.length === 0) v.invalid(`${path} does not have enough properties`);
  const out: Record<string, number> = {};
  for (const rc of keys) {
    if (!v.RC_NAME_RE.test(rc)) v.invalid(`'${rc}' does not match any of the regexes: '^[A-Z0-9_]+$' in ${path}`);
    out[rc] = v.integer(o[rc], `${path}.${rc}`, 1, MAX_INT);
  }
  return out;
}

/** The allocations of one consumer in the shape the microversion uses (list before 1.12, dict after). */
function allocationsOf(req: FastifyRequest, raw: unknown, allowEmpty: boolean): AllocationRequest['allocations'] {
  const out: AllocationRequest['allocations'] = {};
  if (!atLeast(req, '1.12')) {
    const list = v.array(raw, 'allocations');
    if (list.length === 0) v.invalid('allocations is too short');
    list.forEach((item, i) => {
      const o = v.object(item, `allocations[${i}]`);
      v.only(o, ['resource_provider', 'resources'], `allocations[${i}]`);
      v.required(o, ['resource_provider', 'resources'], `allocations[${i}]`);
      const rp = v.object(o.resource_provider, `allocations[${i}].resource_provider`);
      v.only(rp, ['uuid'], `allocations[${i}].resource_provider`);
      v.required(rp, ['uuid'], `allocations[${i}].resource_provider`);
      const uuid = v.uuid(rp.uuid, `allocations[${i}].resource_provider.uuid`);
      out[uuid] = { resources: { ...out[uuid]?.resources, ...resources(o.resources, `allocations[${i}].resources`) } };
    });
    return out;
  }
  const o = v.object(raw, 'allocations');
  if (!allowEmpty && Object.keys(o).length === 0) v.invalid('allocations does not have enough properties');
  for (const [uuid, entry] of Object.entries(o)) {
    if (!v.UUID_RE.test(uuid)) v.invalid(`'${uuid}' does not match any of the regexes in allocations`);
    const e = v.object(entry, `allocations.${uuid}`);
    // Clients echo what GET gave them, which carries the provider generation.
    v.only(e, ['resources', 'generation'], `allocations.${uuid}`);
    v.required(e, ['resources'], `allocations.${uuid}`);
    out[uuid] = { resources: resources(e.resources, `allocations.${uuid}.resources`) };
  }
  return out;
}

/** One consumer's write from a PUT body or one entry of a POST body. */
function consumerWrite(req: FastifyRequest, consumerUuid: string, raw: unknown, path: string, allowEmpty: boolean): ConsumerWrite {
  const body = v.object(raw, path);
  const fields = ['allocations'];
  const mandatory = ['allocations'];
  if (atLeast(req, '1.8')) { fields.push('project_id', 'user_id'); mandatory.push('project_id', 'user_id'); }
  if (atLeast(req, '1.28')) { fields.push('consumer_generation'); mandatory.push('consumer_generation'); }
  if (atLeast(req, '1.38')) { fields.push('consumer_type'); mandatory.push('consumer_type'); }
  v.only(body, fields, path);
  v.required(body, mandatory, path);
  const write: ConsumerWrite = {
    consumerUuid,
    allocations: allocationsOf(req, body.allocations, allowEmpty),
    projectId: body.project_id === undefined ? INCOMPLETE_CONSUMER_ID : v.string(body.project_id, 'project_id', { minLength: 1, maxLength: 255 }),
    userId: body.user_id === undefined ? INCOMPLETE_CONSUMER_ID : v.string(body.user_id, 'user_id', { minLength: 1, maxLength: 255 }),
  };
  if (atLeast(req, '1.28')) {
    write.consumerGeneration = body.consumer_generation === null ? null : v.integer(body.consumer_generation, 'consumer_generation', 0);
  }
  if (atLeast(req, '1.38')) write.consumerType = v.string(body.consumer_type, 'consumer_type', { minLength: 1, maxLength: 255, pattern: CONSUMER_TYPE_RE });
  return write;
}

async function write(deps: PlacementRouteDeps, writes: ConsumerWrite[]): Promise<void> {
  const unknown = await deps.placement.unknownResourceClasses(
    writes.flatMap((w) => Object.values(w.allocations).flatMap((a) => Object.keys(a.resources))));
  if (unknown.length > 0) throw new BadRequest(`Unable to allocate inventory: No such resource class ${unknown[0]}.`);
  failure(await deps.placement.writeAllocations(writes));
}

function failure(res: WriteResult): void {
  if (res.ok) return;
  const detail = res.detail;
  const err: ApiError = res.reason === 'capacity' ? new Conflict(detail.startsWith('Unable to allocate') ? detail : `Unable to allocate inventory: ${detail}`)
    : new BadRequest(detail);
  throw err;
}

export function registerAllocationRoutes(app: FastifyInstance, deps: PlacementRouteDeps): void {
  const { placement } = deps;
  type P = { Params: { consumer: string } };

  app.get<P>('/allocations/:consumer', async (req) => {
    allow(deps, req, 'placement:allocations:list');
    const held = await placement.getAllocations(req.params.consumer);
    const out: Record<string, unknown> = { allocations: held.allocations };
    if (atLeast(req, '1.12') && held.projectId !== undefined) {
      out.project_id = held.projectId;
      out.user_id = held.userId;
    }
    if (atLeast(req, '1.28') && held.consumerGeneration !== undefined) out.consumer_generation = held.consumerGeneration;
    if (atLeast(req, '1.38') && held.projectId !== undefined) out.consumer_type = held.consumerType ?? 'unknown';
    return out;
  });

  app.put<P>('/allocations/:consumer', async (req, reply) => {
    allow(deps, req, 'placement:allocations:update');
    if (!v.UUID_RE.test(req.params.consumer)) throw new BadRequest(`Malformed consumer_uuid: ${req.params.consumer}`);
    await write(deps, [consumerWrite(req, req.params.consumer, req.body, 'body', atLeast(req, '1.28'))]);
    return noContent(reply);
  });

  app.delete<P>('/allocations/:consumer', async (req, reply) => {
    allow(deps, req, 'placement:allocations:delete');
    if (!(await placement.deleteAllocations(req.params.consumer))) {
      throw new NotFound(`No allocations for consumer '${req.params.consumer}'`);
    }
    return noContent(reply);
  });

  app.post('/allocations', async (req, reply) => {
    since(req, '1.13');
    allow(deps, req, 'placement:allocations:manage');
    const body = v.object(req.body, 'body');
    if (Object.keys(body).length === 0) v.invalid('body does not have enough properties');
    const writes = Object.entries(body).map(([consumer, entry]) => {
      if (!v.UUID_RE.test(consumer)) v.invalid(`'${consumer}' does not match any of the regexes in body`);
      return consumerWrite(req, consumer, entry, consumer, true);
    });
    await write(deps, writes);
    return noContent(reply);
  });
}
