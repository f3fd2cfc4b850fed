/** /servers/{id}/tags (2.26): a server's tags, as a list or one at a time. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest, Conflict, NotFound } from '../../errors.js';
import { publicBase } from '../../http/links.js';
import { showValue, validate } from '../../http/validation.js';
import { touchInstance } from '../instance-store.js';
import { addTag, deleteAllTags, deleteTag, setTags, tagsOf } from '../tags.js';
import { VmState } from '../vm-states.js';
import type { ComputeApiDeps } from './deps.js';
import { tag as tagSchema, updateAllTags } from './schemas/server-tags.js';

type P = { Params: { id: string; tag?: string } };

// Nova lets tags change only while the server is settled in one of these states.
const WRITABLE_STATES: string[] = [VmState.ACTIVE, VmState.PAUSED, VmState.SUSPENDED, VmState.STOPPED, 'shelved', 'shelved_offloaded'];

export function registerServerTagRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { db, computeApi } = deps;
  const rule = (r: string) => `os_compute_api:os-server-tags:${r}`;

  const since226 = (request: FastifyRequest) => {
    if (!request.apiVersion.atLeast('2.26')) throw new NotFound('The resource could not be found.');
  };

  const writable = async (request: FastifyRequest<P>, r: string, action: string) => {
    const row = await computeApi.authorizeOn(request.auth, request.params.id, rule(r));
    if (!WRITABLE_STATES.includes(row.vm_state) || row.task_state !== null) {
      throw new Conflict(`Cannot '${action}' instance ${row.uuid} while it is in vm_state ${row.vm_state}` + (row.task_state ? ` and task_state ${row.task_state}` : ''));
    }
    return row;
  };

  /** The tag in the URL, held to the same rules as one in a body. */
  const urlTag = (request: FastifyRequest<P>): string => {
    const t = request.params.tag as string;
    try {
      validate(tagSchema, t);
    } catch {
      throw new BadRequest(`Tag ${showValue(t)} is invalid. It must be 1 to 60 characters without ',' or '/'.`);
    }
    return t;
  };

  app.get<P>('/servers/:id/tags', async (request) => {
    since226(request);
    const row = await computeApi.authorizeOn(request.auth, request.params.id, rule('index'));
    return { tags: await tagsOf(db, row.uuid) };
  });

  app.put<P>('/servers/:id/tags', async (request) => {
    since226(request);
    validate(updateAllTags, request.body);
    const row = await writable(request, 'update_all', 'update tags');
    const tags = await setTags(db, row.uuid, (request.body as { tags: string[] }).tags);
    await touchInstance(db, row.uuid);
    return { tags };
  });

  app.delete<P>('/servers/:id/tags', async (request, reply) => {
    since226(request);
    const row = await writable(request, 'delete_all', 'delete tags');
    await deleteAllTags(db, row.uuid);
    await touchInstance(db, row.uuid);
    return reply.code(204).send();
  });

  app.get<P>('/servers/:id/tags/:tag', async (request, reply: FastifyReply) => {
    since226(request);
    const row = await computeApi.authorizeOn(request.auth, request.params.id, rule('show'));
    const t = request.params.tag as string;
    if (!(await tagsOf(db, row.uuid)).includes(t)) throw new NotFound(`Instance ${row.uuid} has no tag '${showValue(t)}'`);
    return reply.code(204).send();
  });

  app.put<P>('/servers/:id/tags/:tag', async (request, reply) => {
    since226(request);
    // The body, if any, must be empty (Nova's schema for it is `null`).
    if (request.body !== undefined && request.body !== null && !(typeof request.body === 'string' && request.body === '')) {
      throw new BadRequest(`Invalid input for field/attribute body. Value: ${showValue(request.body)}. ${showValue(request.body)} is not of type 'null'`);
    }
    const t = urlTag(request);
    const row = await writable(request, 'update', 'update tag');
    const added = await addTag(db, row.uuid, t);
    if (!added) return reply.code(204).send();
    await touchInstance(db, row.uuid);
    reply.header('location', `${publicBase(request)}/compute/v2.1/servers/${row.uuid}/tags/${encodeURIComponent(t)}`);
    return reply.code(201).send();
  });

  app.delete<P>('/servers/:id/tags/:tag', async (request, reply) => {
    since226(request);
    const row = await writable(request, 'delete', 'delete tag');
    const t = request.params.tag as string;
    if (!(await deleteTag(db, row.uuid, t))) throw new NotFound(`Instance ${row.uuid} has no tag '${showValue(t)}'`);
    await touchInstance(db, row.uuid);
    return reply.code(204).send();
  });
}
