/**
 * shelve / shelveOffload / unshelve: their business rules as Nova's
 * compute/api.py has them — policy on the server, the lock, the vm_state the
 * action starts from — then the record and the cast to the host (shelve,
 * offload) or to the conductor (unshelve, which may schedule again).
 */
import type { AuthContext } from '../http/auth.js';
import { BadRequest, Conflict } from '../errors.js';
import { contextFromAuth } from '../bus/context.js';
import { firstNodeOf } from './host-store.js';
import { InstanceAction, recordActionStart } from './instance-actions.js';
import { getInstanceRow, getMetadata, instanceFromRow, updateInstance, type InstanceRow } from './instance-store.js';
import type { ServerActionAPI, ServerActionDeps, ServerLookup } from './server-action-api.js';
import { getSystemMetadata, setSystemMetadata } from './system-metadata.js';
import { TaskState, VmState } from './vm-states.js';
import type { Flavor } from '../objects/flavor.js';

export interface UnshelveOptions {
  /** 2.77+: undefined leaves the zone as it is; null (2.91) unpins the server from any zone. */
  availabilityZone?: string | null;
  /** 2.91+: an administrator's chosen host. */
  host?: string;
}

export class ShelveAPI {
  constructor(private readonly deps: ServerActionDeps, private readonly servers: ServerLookup, private readonly checks: ServerActionAPI) {}

  async shelve(auth: AuthContext, requestId: string, uuid: string): Promise<void> {
    const row = await this.servers.get(auth, uuid, 'os_compute_api:os-shelve:shelve');
    this.checks.checkLock(auth, row);
    this.checks.checkState(row, 'shelve', [VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED]);
    if (!row.host) throw new Conflict(`Instance ${uuid} is not ready`);
    // The image record the host uploads the disk into, named as Nova names it.
    const base = await this.deps.images.getImage(row.image_ref, auth).catch(() => undefined);
    const flavor = JSON.parse(row.flavor) as Flavor;
    const image = await this.deps.images.createImage({
      name: `${row.display_name}-shelved`, disk_format: 'raw', container_format: 'bare', visibility: 'private',
      min_ram: base?.min_ram ?? 0, min_disk: Math.max(flavor.root_gb, base?.min_disk ?? 0),
      instance_uuid: uuid, user_id: auth.userId, base_image_ref: row.image_ref, image_type: 'snapshot',
    }, auth);
    if (!(await updateInstance(this.deps.db, uuid, { task_state: TaskState.SHELVING }, [null]))) {
      await this.deps.images.deleteImage(image.id, auth).catch(() => undefined);
      throw new Conflict(`Cannot 'shelve' instance ${uuid} while another action is in progress`);
    }
    await setSystemMetadata(this.deps.db, uuid, { image_base_image_ref: row.image_ref });
    const ctx = contextFromAuth(auth, requestId);
    await recordActionStart(this.deps.db, ctx, uuid, InstanceAction.SHELVE);
    await this.deps.compute.shelveInstance(ctx, row.host, { instance: { ...(await this.instance(row)), task_state: TaskState.SHELVING }, imageId: image.id });
  }

  async shelveOffload(auth: AuthContext, requestId: string, uuid: string): Promise<void> {
    const row = await this.servers.get(auth, uuid, 'os_compute_api:os-shelve:shelve_offload');
    this.checks.checkLock(auth, row);
    this.checks.checkState(row, 'shelveOffload', [VmState.SHELVED]);
    if (!row.host) throw new Conflict(`Instance ${uuid} is not ready`);
    if (!(await updateInstance(this.deps.db, uuid, { task_state: TaskState.SHELVING_OFFLOADING }, [null]))) {
      throw new Conflict(`Cannot 'shelveOffload' instance ${uuid} while another action is in progress`);
    }
    const ctx = contextFromAuth(auth, requestId);
    await recordActionStart(this.deps.db, ctx, uuid, InstanceAction.SHELVE_OFFLOAD);
    await this.deps.compute.shelveOffloadInstance(ctx, row.host, { instance: { ...(await this.instance(row)), task_state: TaskState.SHELVING_OFFLOADING } });
  }

  async unshelve(auth: AuthContext, requestId: string, uuid: string, opts: UnshelveOptions = {}): Promise<void> {
    const row = await this.servers.get(auth, uuid, 'os_compute_api:os-shelve:unshelve');
    this.checks.checkLock(auth, row);
    this.checks.checkState(row, 'unshelve', [VmState.SHELVED, VmState.SHELVED_OFFLOADED]);
    const azPassed = opts.availabilityZone !== undefined;
    if ((azPassed || opts.host) && row.vm_state !== VmState.SHELVED_OFFLOADED) {
      throw new Conflict(`Specifying an availability zone or a host when unshelving server "${uuid}" with status "${row.vm_state}" is not supported. The server status must be SHELVED_OFFLOADED.`);
    }
    const defaultZone = this.deps.conf.DEFAULT.default_availability_zone;
    if (azPassed && opts.availabilityZone && opts.availabilityZone !== defaultZone) {
      throw new BadRequest('The requested availability zone is not available');
    }
    const zone = azPassed ? opts.availabilityZone ?? null : row.availability_zone;
    if (opts.host) {
      this.deps.policy.authorize('os_compute_api:os-shelve:unshelve_to_host', { project_id: row.project_id, user_id: row.user_id }, auth);
      if (!(await firstNodeOf(this.deps.db, opts.host))) throw new BadRequest(`Compute host ${opts.host} could not be found.`);
      // Every compute host is in the default zone.
      if (zone && zone !== defaultZone) throw new Conflict(`Host "${opts.host}" is not in the availability zone "${zone}".`);
    }
    const values = { task_state: TaskState.UNSHELVING, ...(azPassed ? { availability_zone: zone } : {}) };
    if (!(await updateInstance(this.deps.db, uuid, values, [null]))) {
      throw new Conflict(`Cannot 'unshelve' instance ${uuid} while another action is in progress`);
    }
    const ctx = contextFromAuth(auth, requestId);
    await recordActionStart(this.deps.db, ctx, uuid, InstanceAction.UNSHELVE);
    const updated = await getInstanceRow(this.deps.db, uuid);
    await this.deps.conductor.unshelveInstance(ctx, { instance: await this.instance(updated), availabilityZone: zone, host: opts.host ?? null });
  }

  /** A shelved server's image goes with it when it is deleted (Nova's _delete). */
  async deleteShelvedImage(auth: AuthContext, row: InstanceRow): Promise<void> {
    if (row.vm_state !== VmState.SHELVED && row.vm_state !== VmState.SHELVED_OFFLOADED) return;
    const imageId = (await getSystemMetadata(this.deps.db, row.uuid)).shelved_image_id;
    if (!imageId) return;
    await this.deps.images.deleteImage(imageId, auth)
      .catch((err) => this.deps.logger.warn({ err, instance: row.uuid, image: imageId }, 'could not delete the image of a deleted shelved server'));
  }

  private async instance(row: InstanceRow) {
    const md = await getMetadata(this.deps.db, [row.uuid]);
    return instanceFromRow(row, md.get(row.uuid) ?? {});
  }
}
