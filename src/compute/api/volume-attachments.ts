/**
 * /servers/{id}/os-volume_attachments. Kilonova has no volume service, so no
 * server has a volume attached and no volume can be found: the list is empty,
 * and attach, show, update (2.85) and detach answer as Nova does for a volume
 * that does not exist, after the same validation and policy checks. The
 * shapes an attachment would have (2.70 tag, 2.79 delete_on_termination, 2.89
 * attachment_id and bdm_uuid in place of id) have nothing to show.
 */
import type { FastifyInstance } from 'fastify';
import { BadRequest, NotFound } from '../../errors.js';
import { validate } from '../../http/validation.js';
import { VmState } from '../vm-states.js';
import type { ComputeApiDeps } from './deps.js';
import { queryParam, rejectUnknownQuery } from './schemas/flavors.js';
import { attachVolumeSchema, updateVolumeAttachmentSchema, VOLUME_ATTACHMENT_INDEX_QUERY } from './schemas/volume-attachments.js';

const POLICY = 'os_compute_api:os-volumes-attachments:';
const ATTACHABLE = [VmState.ACTIVE, VmState.PAUSED, VmState.STOPPED, VmState.RESIZED, VmState.SOFT_DELETED, VmState.SHELVED, VmState.SHELVED_OFFLOADED];

type ServerParams = { Params: { id: string } };
type AttachmentParams = { Params: { id: string; volumeId: string } };

function volumeNotFound(volumeId: string): NotFound {
  return new NotFound(`Volume ${volumeId} could not be found.`);
}

export function registerVolumeAttachmentRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const api = deps.computeApi;

  app.get<ServerParams>('/servers/:id/os-volume_attachments', async (request) => {
    if (request.apiVersion.atLeast('2.75')) rejectUnknownQuery(request, VOLUME_ATTACHMENT_INDEX_QUERY);
    for (const name of VOLUME_ATTACHMENT_INDEX_QUERY) {
      const value = queryParam(request, name);
      if (value !== undefined && !/^\d+$/.test(value)) throw new BadRequest(`${name} param must be an integer`);
    }
    await api.authorizeOn(request.auth, request.params.id, `${POLICY}index`);
    return { volumeAttachments: [] };
  });

  app.get<AttachmentParams>('/servers/:id/os-volume_attachments/:volumeId', async (request) => {
    await api.authorizeOn(request.auth, request.params.id, `${POLICY}show`);
    throw new NotFound(`Instance ${request.params.id} is not attached to volume ${request.params.volumeId}`);
  });

  app.post<ServerParams>('/servers/:id/os-volume_attachments', async (request) => {
    validate(attachVolumeSchema(request.apiVersion), request.body);
    const row = await api.authorizeOn(request.auth, request.params.id, `${POLICY}create`);
    // Lock and state are checked before the volume is looked for, as Nova's attach does.
    api.actions.checkLock(request.auth, row);
    api.actions.checkState(row, 'attach_volume', ATTACHABLE);
    throw volumeNotFound((request.body as { volumeAttachment: { volumeId: string } }).volumeAttachment.volumeId);
  });

  app.put<AttachmentParams>('/servers/:id/os-volume_attachments/:volumeId', async (request) => {
    const v = request.apiVersion;
    validate(updateVolumeAttachmentSchema(v), request.body);
    const { volumeId, id, serverId } = (request.body as { volumeAttachment: { volumeId: string; id?: string; serverId?: string } }).volumeAttachment;
    const attached = request.params.volumeId;
    // Before 2.85 an update is always a swap to another volume, an admin's (or a service's) act; from it, the owner may
    // change the attachment in place, and naming another volume is still a swap.
    const swap = !v.atLeast('2.85') || volumeId !== attached;
    if (swap) {
      await api.get(request.auth, request.params.id, 'os_compute_api:servers:show');
      deps.policy.authorize(`${POLICY}swap`, {}, request.auth);
      throw volumeNotFound(attached);
    }
    await api.authorizeOn(request.auth, request.params.id, `${POLICY}update`);
    if (id !== undefined && id !== attached) throw new BadRequest('The id property is not mutable');
    if (serverId !== undefined && serverId !== request.params.id) throw new BadRequest('The serverId property is not mutable');
    throw new NotFound(`No volume Block Device Mapping with id ${attached}.`);
  });

  app.delete<AttachmentParams>('/servers/:id/os-volume_attachments/:volumeId', async (request) => {
    // Nova looks for the volume before the lock: an unknown volume is a 404 even on a locked server.
    await api.authorizeOn(request.auth, request.params.id, `${POLICY}delete`);
    throw volumeNotFound(request.params.volumeId);
  });
}
