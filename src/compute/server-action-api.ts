/**
 * The server actions beyond the power actions (lock, os-resetState,
 * changePassword, restore / forceDelete and soft delete, trigger_crash_dump):
 * their business rules as Nova's compute/api.py has them — policy on the
 * server, check_instance_lock, check_instance_state — then the record and the
 * cast or call to the server's host.
 */
import type { AuthContext } from '../http/auth.js';
import { BadRequest, Conflict, NotFound, NotImplementedError, QuotaExceeded } from '../errors.js';
import type { ImageClient } from './clients.js';
import { imageMeta } from './api.js';
import { getKeyPair } from './keypairs.js';
import { getFlavorForBoot } from './flavors.js';
import { checkInjectedFileQuota, checkResizeQuota } from './quota.js';
import type { InjectedFile } from '../virt/driver.js';
import { autoDiskConfigFor } from './disk-config.js';
import { createMigration, migrationByStatus, updateMigration } from './migration-store.js';
import type { ConductorRpcClient } from '../conductor/rpcapi.js';
import { RemoteError } from '../bus/rpc.js';
import { contextFromAuth, type RequestContext } from '../bus/context.js';
import type { Notifier } from '../bus/notifier.js';
import { nowIso } from '../db/schema-helpers.js';
import type { ComputeDb } from './db/tables.js';
import type { Config } from '../conf/options.js';
import type { Authorizer } from '../policy/types.js';
import type { Logger } from 'pino';
import type { ComputeRpcClient } from './rpcapi.js';
import { InstanceAction, finishAction, recordActionStart, withActionEvent } from './instance-actions.js';
import { getInstanceRow, getMetadata, instanceFromRow, replaceMetadata, updateInstance, type InstanceRow, type InstanceUpdate } from './instance-store.js';
import type { Flavor } from '../objects/flavor.js';
import { instancePayload } from './notifications.js';
import { TaskState, VmState } from './vm-states.js';

export interface ServerActionDeps {
  db: ComputeDb;
  conf: Config;
  policy: Authorizer;
  compute: ComputeRpcClient;
  images: ImageClient;
  conductor: ConductorRpcClient;
  logger: Logger;
  /** Where the API's own notifications (instance.lock, ...) go; none are sent without it. */
  notifier?: Notifier;
  isComputeUp(host: string): Promise<boolean>;
}

/** What the actions need of ComputeAPI. */
export interface ServerLookup {
  get(auth: AuthContext, uuid: string, rule: string): Promise<InstanceRow>;
  isAdmin(auth: AuthContext): boolean;
  /** The delete that removes the server now (Nova's _delete_instance). */
  hardDelete(auth: AuthContext, requestId: string, row: InstanceRow): Promise<void>;
}

export interface RebuildOptions {
  imageRef: string;
  /** The new administrator password (the caller's, or one generated for it). */
  adminPass: string;
  name?: string;
  description?: string | null;
  metadata?: Record<string, string>;
  accessIPv4?: string;
  accessIPv6?: string;
  preserveEphemeral: boolean;
  /** 2.54: undefined leaves the key pair, null removes it. */
  keyName?: string | null;
  /** 2.57: undefined leaves the user data, null removes it. */
  userData?: string | null;
  /** OS-DCF:diskConfig; undefined takes the new image's auto_disk_config. */
  autoDiskConfig?: boolean;
  /** 2.90: the guest's new hostname. */
  hostname?: string;
  /** Personality files to place in the rebuilt guest (before 2.57). */
  injectedFiles?: InjectedFile[];
  /** 2.63: undefined keeps them, null clears them. */
  trustedCerts?: string[] | null;
}

/** Nova's vm_states.ALLOW_TRIGGER_CRASH_DUMP. */
const ALLOW_TRIGGER_CRASH_DUMP: readonly string[] = [VmState.ACTIVE, VmState.PAUSED, VmState.RESCUED, VmState.RESIZED, VmState.ERROR];

export class ServerActionAPI {
  constructor(private readonly deps: ServerActionDeps, private readonly servers: ServerLookup) {}

  /** Nova's check_instance_lock: a locked server refuses every action but to an administrator. */
  checkLock(auth: AuthContext, row: InstanceRow): void {
    if (row.locked && !this.servers.isAdmin(auth)) throw new Conflict(`Instance ${row.uuid} is locked`);
  }

  /** Nova's check_instance_state (task_state None unless told otherwise) with its 409 wording. */
  checkState(row: InstanceRow, action: string, vmStates: readonly string[] | null, taskStates: ReadonlyArray<string | null> | null = [null]): void {
    const vmOk = vmStates === null || vmStates.includes(row.vm_state);
    const taskOk = taskStates === null || taskStates.includes(row.task_state);
    if (vmOk && taskOk) return;
    const what = !vmOk ? `vm_state ${row.vm_state}` : `task_state ${row.task_state}`;
    throw new Conflict(`Cannot '${action}' instance ${row.uuid} while it is in ${what}`);
  }

  // ---- lock / unlock ----------------------------------------------------------

  async lock(auth: AuthContext, requestId: string, uuid: string, reason: string | null): Promise<void> {
    const row = await this.servers.get(auth, uuid, 'os_compute_api:os-lock-server:lock');
    const isOwner = row.project_id === auth.projectId;
    // Locking again is a no-op for the owner; an administrator's lock replaces the owner's.
    if (row.locked && isOwner) return;
    const ctx = contextFromAuth(auth, requestId);
    await recordActionStart(this.deps.db, ctx, uuid, InstanceAction.LOCK);
    const values = { locked: 1, locked_by: isOwner ? 'owner' : 'admin', locked_reason: reason };
    await withActionEvent(this.deps.db, ctx, uuid, 'api_lock', null, () => updateInstance(this.deps.db, uuid, values), { finishesAction: true });
    await this.notify(ctx, uuid, 'instance.lock');
  }

  /** Nova's is_expected_locked_by: the owner may lift the owner's lock, an administrator an administrator's. */
  private isExpectedLockedBy(auth: AuthContext, row: InstanceRow): boolean {
    const expected = row.project_id === auth.projectId ? 'owner' : 'admin';
    return !row.locked_by || row.locked_by === expected;
  }

  async unlock(auth: AuthContext, requestId: string, uuid: string): Promise<void> {
    const row = await this.servers.get(auth, uuid, 'os_compute_api:os-lock-server:unlock');
    if (!this.isExpectedLockedBy(auth, row)) {
      this.deps.policy.authorize('os_compute_api:os-lock-server:unlock:unlock_override', { project_id: row.project_id }, auth);
    }
    const ctx = contextFromAuth(auth, requestId);
    await recordActionStart(this.deps.db, ctx, uuid, InstanceAction.UNLOCK);
    const values = { locked: 0, locked_by: null, locked_reason: null };
    await withActionEvent(this.deps.db, ctx, uuid, 'api_unlock', null, () => updateInstance(this.deps.db, uuid, values), { finishesAction: true });
    await this.notify(ctx, uuid, 'instance.unlock');
  }

  // ---- os-resetState ----------------------------------------------------------

  /** An administrator's repair: vm_state set outright, task_state cleared, whatever they were. */
  async resetState(auth: AuthContext, requestId: string, uuid: string, state: 'active' | 'error'): Promise<void> {
    await this.servers.get(auth, uuid, 'os_compute_api:os-admin-actions:reset_state');
    const ctx = contextFromAuth(auth, requestId);
    await recordActionStart(this.deps.db, ctx, uuid, InstanceAction.RESET_STATE);
    await updateInstance(this.deps.db, uuid, { vm_state: state === 'active' ? VmState.ACTIVE : VmState.ERROR, task_state: null });
    await finishAction(this.deps.db, ctx, uuid);
  }

  // ---- changePassword ---------------------------------------------------------

  async changePassword(auth: AuthContext, requestId: string, uuid: string, password: string): Promise<void> {
    const row = await this.servers.get(auth, uuid, 'os_compute_api:os-admin-password');
    this.checkLock(auth, row);
    this.checkState(row, 'changePassword', [VmState.ACTIVE]);
    if (!row.host) throw new Conflict(`Instance ${uuid} is not ready`);
    if (!(await updateInstance(this.deps.db, uuid, { task_state: TaskState.UPDATING_PASSWORD }, [null]))) {
      throw new Conflict(`Cannot 'changePassword' instance ${uuid} while another action is in progress`);
    }
    const ctx = contextFromAuth(auth, requestId);
    await recordActionStart(this.deps.db, ctx, uuid, InstanceAction.CHANGE_PASSWORD);
    try {
      await this.deps.compute.setAdminPassword(ctx, row.host, { instance: { ...(await this.instance(row)), task_state: TaskState.UPDATING_PASSWORD }, newPass: password });
    } catch (err) {
      // The host clears the task state itself; a lost call must not leave it set.
      await updateInstance(this.deps.db, uuid, { task_state: null }, [TaskState.UPDATING_PASSWORD]);
      const name = err instanceof RemoteError ? err.remoteName : '';
      if (name === 'DriverNotSupported') throw new NotImplementedError('Unable to set password on instance');
      if (name === 'InstancePasswordSetFailed') throw new Conflict((err as Error).message);
      this.deps.logger.warn({ err, instance: uuid, request_id: requestId }, 'set_admin_password failed');
      throw new Conflict(`Failed to set admin password on ${uuid}.`);
    }
  }

  // ---- rebuild ----------------------------------------------------------------

  async rebuild(auth: AuthContext, requestId: string, uuid: string, opts: RebuildOptions, rules: { trustedCerts: boolean }): Promise<InstanceRow> {
    const row = await this.servers.get(auth, uuid, 'os_compute_api:servers:rebuild');
    if (rules.trustedCerts) this.deps.policy.authorize('os_compute_api:servers:rebuild:trusted_certs', { project_id: row.project_id, user_id: row.user_id }, auth);
    this.checkLock(auth, row);
    this.checkState(row, 'rebuild', [VmState.ACTIVE, VmState.STOPPED, VmState.ERROR]);
    if (!row.host) throw new Conflict(`Instance ${uuid} is not ready`);

    const imageId = opts.imageRef.includes('/') ? opts.imageRef.slice(opts.imageRef.lastIndexOf('/') + 1) : opts.imageRef;
    const image = await this.deps.images.getImage(imageId, auth).catch((err) => {
      if (err instanceof NotFound) throw new BadRequest('Cannot find image for rebuild');
      throw err;
    });
    if (image.status !== 'active') throw new BadRequest(`Image ${image.id} is not active.`);
    const flavor = JSON.parse(row.flavor) as Flavor;
    if (flavor.memory_mb < (image.min_ram ?? 0)) throw new BadRequest("Flavor's memory is too small for requested image.");
    if (flavor.root_gb > 0 && flavor.root_gb < (image.min_disk ?? 0)) throw new BadRequest("Flavor's disk is too small for requested image.");

    await checkInjectedFileQuota(this.deps.db, this.deps.conf.quota, row.project_id, row.user_id, opts.injectedFiles);
    const mdLimit = this.deps.conf.quota.metadata_items;
    if (opts.metadata && mdLimit >= 0 && Object.keys(opts.metadata).length > mdLimit) {
      throw new QuotaExceeded(`Quota exceeded for metadata_items: Requested ${Object.keys(opts.metadata).length}, but already used 0 of ${mdLimit} metadata_items`);
    }
    const values: InstanceUpdate = {
      task_state: TaskState.REBUILDING, image_ref: image.id, progress: 0, auto_disk_config: autoDiskConfigFor(image, opts.autoDiskConfig) ? 1 : 0,
    };
    if (opts.keyName === null) Object.assign(values, { key_name: null, key_data: null });
    else if (opts.keyName !== undefined) {
      const kp = await getKeyPair(this.deps.db, auth.userId, opts.keyName).catch((err) => {
        if (err instanceof NotFound) throw new BadRequest('Invalid key_name provided.');
        throw err;
      });
      Object.assign(values, { key_name: kp.name, key_data: kp.public_key });
    }
    if (opts.userData !== undefined) values.user_data = opts.userData;
    if (opts.trustedCerts !== undefined) values.trusted_certs = opts.trustedCerts?.length ? JSON.stringify(opts.trustedCerts) : null;
    if (opts.name !== undefined) values.display_name = opts.name;
    if (opts.hostname !== undefined) values.hostname = opts.hostname;
    if (opts.description !== undefined) values.display_description = opts.description;
    if (opts.accessIPv4 !== undefined) values.access_ip_v4 = opts.accessIPv4;
    if (opts.accessIPv6 !== undefined) values.access_ip_v6 = opts.accessIPv6;

    if (!(await updateInstance(this.deps.db, uuid, values, [null]))) {
      throw new Conflict(`Cannot 'rebuild' instance ${uuid} while another action is in progress`);
    }
    if (opts.metadata) await replaceMetadata(this.deps.db, uuid, opts.metadata);
    const ctx = contextFromAuth(auth, requestId);
    await recordActionStart(this.deps.db, ctx, uuid, InstanceAction.REBUILD);
    const updated = await getInstanceRow(this.deps.db, uuid);
    await this.deps.compute.rebuildInstance(ctx, row.host, {
      instance: await this.instance(updated), image: imageMeta(image), preserveEphemeral: opts.preserveEphemeral, origVmState: row.vm_state, injectedFiles: opts.injectedFiles,
    });
    return updated;
  }

  // ---- rescue / unrescue -------------------------------------------------------

  /** Boots the server from a rescue image (its own, or rescue_image_ref); answers with the rescue password. */
  async rescue(auth: AuthContext, requestId: string, uuid: string, opts: { adminPass: string; rescueImageRef?: string }): Promise<void> {
    const row = await this.servers.get(auth, uuid, 'os_compute_api:os-rescue');
    this.checkLock(auth, row);
    this.checkState(row, 'rescue', [VmState.ACTIVE, VmState.STOPPED, VmState.ERROR]);
    if (!row.host) throw new Conflict(`Instance ${uuid} is not ready`);
    const imageId = opts.rescueImageRef ?? row.image_ref;
    const image = await this.deps.images.getImage(imageId, auth).catch((err) => {
      if (err instanceof NotFound) throw new BadRequest(`Image ${imageId} could not be found.`);
      throw err;
    });
    if (!(await updateInstance(this.deps.db, uuid, { task_state: TaskState.RESCUING }, [null]))) {
      throw new Conflict(`Cannot 'rescue' instance ${uuid} while another action is in progress`);
    }
    const ctx = contextFromAuth(auth, requestId);
    await recordActionStart(this.deps.db, ctx, uuid, InstanceAction.RESCUE);
    await this.deps.compute.rescueInstance(ctx, row.host, {
      instance: { ...(await this.instance(row)), task_state: TaskState.RESCUING }, rescueImage: imageMeta(image), rescuePassword: opts.adminPass,
    });
  }

  async unrescue(auth: AuthContext, requestId: string, uuid: string): Promise<void> {
    const row = await this.servers.get(auth, uuid, 'os_compute_api:os-unrescue');
    this.checkLock(auth, row);
    this.checkState(row, 'unrescue', [VmState.RESCUED]);
    if (!row.host) throw new Conflict(`Instance ${uuid} is not ready`);
    if (!(await updateInstance(this.deps.db, uuid, { task_state: TaskState.UNRESCUING }, [null]))) {
      throw new Conflict(`Cannot 'unrescue' instance ${uuid} while another action is in progress`);
    }
    const ctx = contextFromAuth(auth, requestId);
    await recordActionStart(this.deps.db, ctx, uuid, InstanceAction.UNRESCUE);
    await this.deps.compute.unrescueInstance(ctx, row.host, { instance: { ...(await this.instance(row)), task_state: TaskState.UNRESCUING } });
  }

  // ---- createImage / createBackup ---------------------------------------------

  /**
   * Makes the image record (queued) and has the host upload the guest's disk
   * into it; with `backup`, older backups beyond the rotation go afterwards.
   * Answers with the new image's id. Nova does not check the lock here: a
   * lock guards against changing the server, which a snapshot does not.
   */
  async createImage(auth: AuthContext, requestId: string, uuid: string, name: string, metadata: Record<string, string>, backup?: { type: string; rotation: number }): Promise<string> {
    const action = backup ? 'createBackup' : 'createImage';
    const row = await this.servers.get(auth, uuid, backup ? 'os_compute_api:os-create-backup' : 'os_compute_api:servers:create_image');
    this.checkState(row, action, [VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED]);
    if (!row.host) throw new Conflict(`Instance ${uuid} is not ready`);
    const mdLimit = this.deps.conf.quota.metadata_items;
    if (mdLimit >= 0 && Object.keys(metadata).length > mdLimit) {
      throw new QuotaExceeded(`Quota exceeded for metadata_items: Requested ${Object.keys(metadata).length}, but already used 0 of ${mdLimit} metadata_items`);
    }
    // The snapshot inherits what the server's image asks of a flavor; it may be gone by now.
    const base = await this.deps.images.getImage(row.image_ref, auth).catch(() => undefined);
    const flavor = JSON.parse(row.flavor) as Flavor;
    // The request's metadata overrides the properties Nova sets (image_type included, as
    // Tempest checks), but not the image's own fields.
    const image = await this.deps.images.createImage({
      instance_uuid: uuid, user_id: auth.userId, base_image_ref: row.image_ref,
      image_type: backup ? 'backup' : 'snapshot', ...(backup ? { backup_type: backup.type } : {}),
      ...metadata,
      name, disk_format: 'raw', container_format: 'bare', visibility: 'private',
      min_ram: base?.min_ram ?? 0, min_disk: Math.max(flavor.root_gb, base?.min_disk ?? 0),
    }, auth);
    const taskState = backup ? TaskState.IMAGE_BACKUP : TaskState.IMAGE_SNAPSHOT_PENDING;
    if (!(await updateInstance(this.deps.db, uuid, { task_state: taskState }, [null]))) {
      await this.deps.images.deleteImage(image.id, auth).catch(() => undefined);
      throw new Conflict(`Cannot '${action}' instance ${uuid} while another action is in progress`);
    }
    const ctx = contextFromAuth(auth, requestId);
    await recordActionStart(this.deps.db, ctx, uuid, backup ? InstanceAction.BACKUP : InstanceAction.CREATE_IMAGE);
    await this.deps.compute.snapshotInstance(ctx, row.host, {
      instance: { ...(await this.instance(row)), task_state: taskState }, imageId: image.id, backupType: backup?.type, rotation: backup?.rotation,
    });
    return image.id;
  }

  // ---- resize / migrate / confirmResize / revertResize ---------------------------

  /**
   * Resize to `flavorRef`, or (without it) cold-migrate with the same flavor.
   * The conductor schedules it before this returns: no host is a 400, as in Nova.
   */
  async resizeOrMigrate(auth: AuthContext, requestId: string, uuid: string, opts: { flavorRef?: string; host?: string | null; autoDiskConfig?: boolean }): Promise<void> {
    const resize = opts.flavorRef !== undefined;
    const action = resize ? 'resize' : 'migrate';
    const row = await this.servers.get(auth, uuid, resize ? 'os_compute_api:servers:resize' : 'os_compute_api:os-migrate-server:migrate');
    if (!resize && opts.host) this.deps.policy.authorize('os_compute_api:os-migrate-server:migrate:host', { project_id: row.project_id }, auth);
    this.checkLock(auth, row);
    this.checkState(row, action, [VmState.ACTIVE, VmState.STOPPED]);
    if (!row.host) throw new Conflict(`Instance ${uuid} is not ready`);
    const current = JSON.parse(row.flavor) as Flavor;
    let flavor = current;
    if (resize) {
      const f = await getFlavorForBoot(this.deps.db, opts.flavorRef!, auth.projectId).catch((err) => {
        if (err instanceof NotFound) throw new BadRequest('Unable to locate requested flavor.');
        throw err;
      });
      if (f.flavorid === current.flavorid) throw new BadRequest('When resizing, instances must change flavor!');
      if (f.root_gb === 0 && current.root_gb !== 0) throw new BadRequest('Unable to resize disk down.');
      flavor = {
        id: f.id, flavorid: f.flavorid, name: f.name, memory_mb: f.memory_mb, vcpus: f.vcpus, root_gb: f.root_gb, ephemeral_gb: f.ephemeral_gb,
        swap: f.swap, rxtx_factor: f.rxtx_factor, is_public: f.is_public === 1, disabled: f.disabled === 1, description: f.description, extra_specs: f.extra_specs ?? {},
      };
      // Charged to the server's owner, whoever asks (an admin may resize another project's server).
      await checkResizeQuota(this.deps.db, this.deps.conf.quota, row.project_id, row.user_id,
        { cores: flavor.vcpus - current.vcpus, ram: flavor.memory_mb - current.memory_mb });
    }
    const prep: InstanceUpdate = { task_state: TaskState.RESIZE_PREP, progress: 0 };
    if (resize) {
      // Nova sets it on every resize: MANUAL unless AUTO is asked for (and the image allows it).
      const image = opts.autoDiskConfig && row.image_ref ? await this.deps.images.getImage(row.image_ref, auth).catch(() => undefined) : undefined;
      prep.auto_disk_config = autoDiskConfigFor(image, opts.autoDiskConfig ?? false) ? 1 : 0;
    }
    if (!(await updateInstance(this.deps.db, uuid, prep, [null]))) {
      throw new Conflict(`Cannot '${action}' instance ${uuid} while another action is in progress`);
    }
    const migration = await createMigration(this.deps.db, {
      instanceUuid: uuid, sourceCompute: row.host, sourceNode: row.node, oldFlavorId: current.id, newFlavorId: flavor.id,
      migrationType: resize ? 'resize' : 'migration', userId: auth.userId, projectId: row.project_id,
    });
    const ctx = contextFromAuth(auth, requestId);
    await recordActionStart(this.deps.db, ctx, uuid, resize ? InstanceAction.RESIZE : InstanceAction.MIGRATE);
    try {
      await this.deps.conductor.migrateServer(ctx, {
        instance: { ...(await this.instance(row)), task_state: TaskState.RESIZE_PREP }, flavor, migrationUuid: migration.uuid,
        allowSameHost: this.deps.conf.DEFAULT.allow_resize_to_same_host, host: opts.host ?? null,
      });
    } catch (err) {
      await finishAction(this.deps.db, ctx, uuid);
      if (err instanceof RemoteError && err.remoteName === 'NoValidHost') throw new BadRequest(err.message);
      this.deps.logger.warn({ err, instance: uuid, request_id: requestId }, `${action} could not start`);
      throw new Conflict(`Cannot '${action}' instance ${uuid}: it could not be scheduled.`);
    }
  }

  async confirmResize(auth: AuthContext, requestId: string, uuid: string): Promise<void> {
    const row = await this.servers.get(auth, uuid, 'os_compute_api:servers:confirm_resize');
    this.checkLock(auth, row);
    this.checkState(row, 'confirmResize', [VmState.RESIZED]);
    const migration = await migrationByStatus(this.deps.db, uuid, 'finished');
    if (!migration || !migration.source_compute) throw new BadRequest('Instance has not been resized.');
    if (!(await updateMigration(this.deps.db, migration.uuid, { status: 'confirming' }, ['finished']))) throw new BadRequest('Instance has not been resized.');
    const ctx = contextFromAuth(auth, requestId);
    await recordActionStart(this.deps.db, ctx, uuid, InstanceAction.CONFIRM_RESIZE);
    await this.deps.compute.confirmResize(ctx, migration.source_compute, { instance: await this.instance(row), migrationUuid: migration.uuid });
  }

  async revertResize(auth: AuthContext, requestId: string, uuid: string): Promise<void> {
    const row = await this.servers.get(auth, uuid, 'os_compute_api:servers:revert_resize');
    this.checkLock(auth, row);
    this.checkState(row, 'revertResize', [VmState.RESIZED]);
    const migration = await migrationByStatus(this.deps.db, uuid, 'finished');
    if (!migration || !migration.dest_compute) throw new BadRequest('Instance has not been resized.');
    if (!(await updateInstance(this.deps.db, uuid, { task_state: TaskState.RESIZE_REVERTING }, [null]))) {
      throw new Conflict(`Cannot 'revertResize' instance ${uuid} while another action is in progress`);
    }
    await updateMigration(this.deps.db, migration.uuid, { status: 'reverting' });
    const ctx = contextFromAuth(auth, requestId);
    await recordActionStart(this.deps.db, ctx, uuid, InstanceAction.REVERT_RESIZE);
    await this.deps.compute.revertResize(ctx, migration.dest_compute, {
      instance: { ...(await this.instance(row)), task_state: TaskState.RESIZE_REVERTING }, migrationUuid: migration.uuid,
    });
  }

  // ---- trigger_crash_dump -----------------------------------------------------

  async triggerCrashDump(auth: AuthContext, requestId: string, uuid: string): Promise<void> {
    const row = await this.servers.get(auth, uuid, 'os_compute_api:servers:trigger_crash_dump');
    this.checkLock(auth, row);
    if (!row.host) throw new Conflict(`Instance ${uuid} is not ready`);
    this.checkState(row, 'trigger_crash_dump', ALLOW_TRIGGER_CRASH_DUMP);
    const ctx = contextFromAuth(auth, requestId);
    await recordActionStart(this.deps.db, ctx, uuid, InstanceAction.TRIGGER_CRASH_DUMP);
    await this.deps.compute.triggerCrashDump(ctx, row.host, { instance: await this.instance(row) });
  }

  // ---- deferred delete ----------------------------------------------------------

  /**
   * DELETE /servers/{id} while reclaim_instance_interval is set (Nova's
   * soft_delete): the server waits SOFT_DELETED, restorable, until reclaimed.
   * One that never ran has nothing to keep and is deleted outright.
   */
  async deleteOrSoftDelete(auth: AuthContext, requestId: string, row: InstanceRow): Promise<void> {
    if (this.deps.conf.DEFAULT.reclaim_instance_interval <= 0 || !row.launched_at || row.task_state !== null || row.vm_state === VmState.SOFT_DELETED) {
      await this.servers.hardDelete(auth, requestId, row);
      return;
    }
    const ctx = contextFromAuth(auth, requestId);
    const deletedAt = nowIso();
    if (row.host && (await this.deps.isComputeUp(row.host))) {
      if (!(await updateInstance(this.deps.db, row.uuid, { task_state: TaskState.SOFT_DELETING, deleted_at: deletedAt }, [null]))) {
        throw new Conflict(`Cannot 'delete' instance ${row.uuid} while another action is in progress`);
      }
      await recordActionStart(this.deps.db, ctx, row.uuid, InstanceAction.DELETE);
      await this.deps.compute.softDeleteInstance(ctx, row.host, { instance: { ...(await this.instance(row)), task_state: TaskState.SOFT_DELETING } });
      return;
    }
    // The host is down: the record alone says the server is soft-deleted (Nova's local soft delete).
    await recordActionStart(this.deps.db, ctx, row.uuid, InstanceAction.DELETE);
    await updateInstance(this.deps.db, row.uuid, { vm_state: VmState.SOFT_DELETED, task_state: null, deleted_at: deletedAt, terminated_at: deletedAt }, [null]);
    await finishAction(this.deps.db, ctx, row.uuid);
  }

  async restore(auth: AuthContext, requestId: string, uuid: string): Promise<void> {
    const row = await this.servers.get(auth, uuid, 'os_compute_api:os-deferred-delete:restore');
    this.checkLock(auth, row);
    this.checkState(row, 'restore', [VmState.SOFT_DELETED]);
    const ctx = contextFromAuth(auth, requestId);
    if (row.host) {
      if (!(await updateInstance(this.deps.db, uuid, { task_state: TaskState.RESTORING, deleted_at: null }, [null]))) {
        throw new Conflict(`Cannot 'restore' instance ${uuid} while another action is in progress`);
      }
      await recordActionStart(this.deps.db, ctx, uuid, InstanceAction.RESTORE);
      await this.deps.compute.restoreInstance(ctx, row.host, { instance: { ...(await this.instance(row)), task_state: TaskState.RESTORING } });
      return;
    }
    await recordActionStart(this.deps.db, ctx, uuid, InstanceAction.RESTORE);
    await updateInstance(this.deps.db, uuid, { vm_state: VmState.ACTIVE, task_state: null, deleted_at: null, terminated_at: null }, [null]);
    await finishAction(this.deps.db, ctx, uuid);
  }

  /** Deletes now, soft-deleted or not (Nova's force_delete: any vm_state, no task under way). */
  async forceDelete(auth: AuthContext, requestId: string, uuid: string): Promise<void> {
    const row = await this.servers.get(auth, uuid, 'os_compute_api:os-deferred-delete:force');
    this.checkLock(auth, row);
    this.checkState(row, 'forceDelete', null, [null]);
    await this.servers.hardDelete(auth, requestId, row);
  }

  // ---- helpers ----------------------------------------------------------------

  private async instance(row: InstanceRow) {
    const md = await getMetadata(this.deps.db, [row.uuid]);
    return instanceFromRow(row, md.get(row.uuid) ?? {});
  }

  private async notify(ctx: RequestContext, uuid: string, eventType: string): Promise<void> {
    if (!this.deps.notifier) return;
    const row = await getInstanceRow(this.deps.db, uuid);
    await this.deps.notifier.info(ctx, eventType, instancePayload(await this.instance(row), { locked: row.locked === 1, locked_reason: row.locked_reason }))
      .catch((err) => this.deps.logger.warn({ err, event_type: eventType }, 'could not send a notification'));
  }
}
