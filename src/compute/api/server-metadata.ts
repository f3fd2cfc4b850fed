/** /servers/{id}/metadata (Nova's server_metadata controller). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequest, Conflict, NotFound, QuotaExceeded } from '../../errors.js';
import { validate } from '../../http/validation.js';
import { deleteMetadataItem, getMetadata, replaceMetadata } from '../instance-store.js';
import { VmState } from '../vm-states.js';
import { projectLimits } from '../quota.js';
import type { ComputeApiDeps } from './deps.js';
import { checkOneItem, metaBody, metadataBody } from './schemas/server-metadata.js';

const WRITABLE_STATES: string[] = [VmState.ACTIVE, VmState.PAUSED, VmState.SUSPENDED, VmState.STOPPED];

type P = { Params: { id: string; key?: string } };

export function registerServerMetadataRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { db, computeApi } = deps;
  const rule = (r: string) => `os_compute_api:server-metadata:${r}`;

  const writable = async (request: FastifyRequest<P>, r: string) => {
    const row = await computeApi.authorizeOn(request.auth, request.params.id, rule(r));
    if (!WRITABLE_STATES.includes(row.vm_state) || row.task_state !== null) {
      throw new Conflict(`Cannot '${r === 'delete' ? 'delete_instance_metadata' : 'update_instance_metadata'}' instance ${row.uuid} while it is in vm_state ${row.vm_state}`);
    }
    return row;
  };

  const current = async (uuid: string) => (await getMetadata(db, [uuid])).get(uuid) ?? {};

  const write = async (uuid: string, next: Record<string, string>, projectId: string) => {
    const limit = (await projectLimits(db, deps.conf.quota, projectId)).metadata_items;
    if (limit >= 0 && Object.keys(next).length > limit) {
      throw new QuotaExceeded(`Quota exceeded for metadata_items: Requested ${Object.keys(next).length}, but already used 0 of ${limit} metadata_items`);
    }
    await replaceMetadata(db, uuid, next);
  };

  app.get<P>('/servers/:id/metadata', async (request) => {
    const row = await computeApi.authorizeOn(request.auth, request.params.id, rule('index'));
    return { metadata: await current(row.uuid) };
  });

  app.post<P>('/servers/:id/metadata', async (request) => {
    validate(metadataBody, request.body);
    const row = await writable(request, 'create');
    const merged = { ...(await current(row.uuid)), ...(request.body as { metadata: Record<string, string> }).metadata };
    await write(row.uuid, merged, row.project_id);
    return { metadata: merged };
  });

  app.put<P>('/servers/:id/metadata', async (request) => {
    validate(metadataBody, request.body);
    const row = await writable(request, 'update_all');
    const next = (request.body as { metadata: Record<string, string> }).metadata;
    await write(row.uuid, next, row.project_id);
    return { metadata: next };
  });

  app.get<P>('/servers/:id/metadata/:key', async (request) => {
    const row = await computeApi.authorizeOn(request.auth, request.params.id, rule('show'));
    const md = await current(row.uuid);
    const key = request.params.key as string;
    if (!Object.hasOwn(md, key)) throw new NotFound('Metadata item was not found');
    return { meta: { [key]: md[key] } };
  });

  app.put<P>('/servers/:id/metadata/:key', async (request) => {
    checkOneItem(request.body);
    validate(metaBody, request.body);
    const key = request.params.key as string;
    const meta = (request.body as { meta: Record<string, string> }).meta;
    if (!Object.hasOwn(meta, key)) throw new BadRequest('Request body and URI mismatch');
    const row = await writable(request, 'update');
    await write(row.uuid, { ...(await current(row.uuid)), [key]: meta[key] }, row.project_id);
    return { meta: { [key]: meta[key] } };
  });

  app.delete<P>('/servers/:id/metadata/:key', async (request, reply) => {
    const row = await writable(request, 'delete');
    const md = await current(row.uuid);
    const key = request.params.key as string;
    if (!Object.hasOwn(md, key)) throw new NotFound('Metadata item was not found');
    await deleteMetadataItem(db, row.uuid, key);
    return reply.code(204).send();
  });
}
