/**
 * Nova's snapshot_instance and backup_instance on the host: the driver gives
 * the disk as image data, which is uploaded to the image record the API made
 * (queued → saving → active in the image service). The task states pass
 * image_snapshot (image_backup) → image_pending_upload → image_uploading. A
 * backup then deletes the oldest backups of its type beyond the rotation.
 * A failure deletes the unfinished image and leaves the server as it was.
 */
import { Readable } from 'node:stream';
import type { AuthContext } from '../../http/auth.js';
import type { RequestContext } from '../../bus/context.js';
import type { Instance } from '../../objects/instance.js';
import { withActionEvent } from './action-event.js';
import { instancePayload } from '../notifications.js';
import { TaskState } from '../vm-states.js';
import type { ComputeHostDeps } from './context.js';
import { driverInstanceFor } from './driver-for.js';

export interface SnapshotArgs {
  imageId: string;
  /** Set for createBackup. */
  backup?: { type: string; rotation: number };
}

/** The caller's identity, as the image service is asked on its behalf (Nova uses the user's token too). */
export function authFor(ctx: RequestContext): AuthContext {
  return {
    token: ctx.authToken ?? '', userId: ctx.userId ?? '', userName: ctx.userName ?? '', userDomainId: 'default',
    projectId: ctx.projectId ?? '', projectName: ctx.projectName ?? '', projectDomainId: 'default',
    roles: ctx.roles, isAdminProject: false, expiresAt: '', issuedAt: '',
  };
}

export async function snapshotInstance(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance, args: SnapshotArgs): Promise<void> {
  const log = deps.logger.child({ request_id: ctx.requestId, instance: instance.uuid, image: args.imageId });
  const pending = args.backup ? TaskState.IMAGE_BACKUP : TaskState.IMAGE_SNAPSHOT_PENDING;
  const first = args.backup ? TaskState.IMAGE_BACKUP : TaskState.IMAGE_SNAPSHOT;
  const auth = authFor(ctx);
  const step = async (to: string, from: string) => {
    if (!(await deps.store.saveInstance(instance.uuid, { task_state: to }, [from]))) throw new Error(`task_state is no longer ${from}`);
  };
  await deps.notifier.info(ctx, 'instance.snapshot.start', instancePayload(instance, { snapshot_image_id: args.imageId }));
  try {
    await withActionEvent(deps.store, ctx, instance.uuid, args.backup ? 'compute_backup_instance' : 'compute_snapshot_instance', deps.host, async () => {
      if (!deps.images) throw new Error('this compute host has no image service to upload to');
      if (first !== pending) await step(first, pending);
      const snap = await deps.driver.snapshot(driverInstanceFor(deps, instance));
      await step(TaskState.IMAGE_PENDING_UPLOAD, first);
      await step(TaskState.IMAGE_UPLOADING, TaskState.IMAGE_PENDING_UPLOAD);
      await deps.images.uploadImageData(args.imageId, Readable.from([snap.data]), auth, { contentLength: snap.data.length });
      await deps.store.saveInstance(instance.uuid, { task_state: null }, [TaskState.IMAGE_UPLOADING]);
      if (args.backup) await rotateBackups(deps, auth, instance.uuid, args.backup);
    });
    await deps.notifier.info(ctx, 'instance.snapshot.end', instancePayload({ ...instance, task_state: null }, { snapshot_image_id: args.imageId }));
  } catch (err) {
    log.warn({ err }, 'snapshot failed');
    await deps.store.saveInstance(instance.uuid, { task_state: null });
    await deps.images?.deleteImage(args.imageId, auth).catch((e) => log.warn({ err: e }, 'could not delete the image of a failed snapshot'));
    await deps.store.addInstanceFault(instance.uuid, { code: 500, message: 'Failed to snapshot the server.', host: deps.host });
  } finally {
    await deps.store.finishAction(ctx, instance.uuid);
  }
}

/** Nova's _rotate_backups: keeps the newest `rotation` backups of this type of this server. */
async function rotateBackups(deps: ComputeHostDeps, auth: AuthContext, uuid: string, backup: { type: string; rotation: number }): Promise<void> {
  const { images } = await deps.images!.listImages({
    instance_uuid: uuid, image_type: 'backup', backup_type: backup.type, sort_key: 'created_at', sort_dir: 'desc', limit: '1000',
  }, auth);
  for (const image of images.slice(backup.rotation)) {
    await deps.images!.deleteImage(image.id, auth).catch((err) => deps.logger.warn({ err, image: image.id }, 'could not delete a rotated backup'));
  }
}
