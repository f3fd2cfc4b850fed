/** /allocations/{consumer_uuid} (GET, PUT, DELETE) and POST /allocations (1.13). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, BadRequest, Conflict, NotFound } from '../../errors.js';
import type { WriteResult } from '../allocations.js';
import type { AllocationRequest, ConsumerWrite } from '../types.js';
import { placement as words, validate } from '../../http/validation.js';
import { allow, atLeast, noContent, since, versionOf, type PlacementRouteDeps } from './common.js';
import { allocationsPost, allocationsPut, checkConsumerUuid } from './schemas/allocations.js';

/** Placement's stand-in owner for consumers written before project/user were required (< 1.8). */
const INCOMPLETE_CONSUMER_ID = '00000000-0000-0000-0000-000000000000';

type Json = Record<string, unknown>;

/** The allocations of one consumer, read from the shape its schema allowed (list before 1.12, dict after). */
function allocationsOf(raw: unknown): AllocationRequest['allocations'] {
  const out: AllocationRequest['allocations'] = {};
  if (Array.isArray(raw)) {
    for (const item of raw as { resource_provider: { uuid: string }; resources: Record<string, number> }[]) {
      const uuid = item.resource_provider.uuid;
      out[uuid] = { resources: { ...out[uuid]?.resources, ...item.resources } };
    }
    return out;
  }
  for (const [uuid, entry] of Object.entries(raw as Record<string, { resources: Record<string, number> }>)) {
    out[uuid] = { resources: { ...entry.resources } };
  }
  return out;
}

/** One consumer's write from a validated PUT body or one entry of a POST body. */
function consumerWrite(req: FastifyRequest, consumerUuid: string, body: Json): ConsumerWrite {
  const write: ConsumerWrite = {
    consumerUuid,
    allocations: allocationsOf(body.allocations),
    projectId: (body.project_id as string | undefined) ?? INCOMPLETE_CONSUMER_ID,
    userId: (body.user_id as string | undefined) ?? INCOMPLETE_CONSUMER_ID,
  };
  if (atLeast(req, '1.28')) write.consumerGeneration = body.consumer_generation as number | null;
  if (atLeast(req, '1.38')) write.consumerType = body.consumer_type as string;
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
    checkConsumerUuid(req.params.consumer);
    validate(allocationsPut(versionOf(req)), req.body, words);
    await write(deps, [consumerWrite(req, req.params.consumer, req.body as Json)]);
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
    validate(allocationsPost(versionOf(req)), req.body, words);
    const writes = Object.entries(req.body as Record<string, Json>).map(([consumer, entry]) => consumerWrite(req, consumer, entry));
    await write(deps, writes);
    return noContent(reply);
  });
}
