/**
 * Nova's conductor MigrationTask, for resize and cold migration: the
 * server's allocation moves to the migration record (so the source stays
 * counted), the scheduler picks a destination and claims the new flavor for
 * the server, and the source host is told to start. It is a call: a
 * NoValidHost reaches the API, which answers 400 as Nova does, and the
 * rollback leaves the server and its allocation as they were.
 */
import { updateInstance } from '../../compute/instance-store.js';
import { updateMigration } from '../../compute/migration-store.js';
import { TaskState } from '../../compute/vm-states.js';
import type { Flavor, Instance } from '../../objects/index.js';
import { RemoteError } from '../../bus/rpc.js';
import { ConductorTask } from './base.js';
import { moveRequestSpec } from './move-spec.js';

class NoValidHostForMove extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoValidHost';
  }
}

export interface MigrateServerArgs {
  instance: Instance;
  flavor: Flavor;
  migrationUuid: string;
  /** [DEFAULT] allow_resize_to_same_host, as the API read it. */
  allowSameHost: boolean;
  /** An administrator's chosen destination (migrate with host). */
  host: string | null;
}

type Allocations = Record<string, { resources: Record<string, number> }>;

export class MigrateServerTask extends ConductorTask<MigrateServerArgs> {
  private moved: Allocations | null = null;

  protected async execute(): Promise<void> {
    const { instance, flavor, migrationUuid } = this.args;
    const { placement } = this.deps;
    const held = await placement.getAllocations(instance.uuid);
    const current: Allocations = {};
    for (const [rp, a] of Object.entries(held.allocations ?? {})) current[rp] = { resources: a.resources };
    if (Object.keys(current).length > 0) {
      const ok = await placement.claimResources({
        consumerUuid: migrationUuid, allocations: current, projectId: instance.project_id, userId: instance.user_id, consumerGeneration: null,
      });
      if (!ok) throw new Error('could not move the allocation of the server to its migration');
      await placement.deleteAllocations(instance.uuid);
      this.moved = current;
    }
    const spec = await moveRequestSpec(this.deps.db, instance, 'migrate', {
      flavor, ignoreHosts: this.args.allowSameHost || !instance.host ? [] : [instance.host], requestedHost: this.args.host,
    });
    const [[dest]] = await this.deps.scheduler.selectDestinations(this.ctx, { specObj: spec, instanceUuids: [instance.uuid], returnAlternates: false }).catch((err) => {
      // Passed on under its own name, so the API can answer NoValidHost with a 400.
      if (err instanceof RemoteError && err.remoteName === 'NoValidHost') throw new NoValidHostForMove(err.message);
      throw err;
    });
    await updateMigration(this.deps.db, migrationUuid, { dest_compute: dest.service_host, dest_node: dest.nodename, status: 'migrating' });
    this.log.info({ instance: instance.uuid, source: instance.host, dest: dest.service_host }, 'resize/migration scheduled');
    await this.deps.compute.resizeInstance(this.ctx, instance.host!, { instance, migrationUuid, flavor });
  }

  protected async rollback(err: unknown): Promise<void> {
    const { instance, migrationUuid } = this.args;
    this.log.info({ err: (err as Error)?.message, instance: instance.uuid }, 'resize/migration not started; undoing');
    if (this.moved) {
      await this.deps.placement.deleteAllocations(instance.uuid).catch(() => undefined);
      await this.deps.placement.claimResources({
        consumerUuid: instance.uuid, allocations: this.moved, projectId: instance.project_id, userId: instance.user_id, consumerGeneration: null,
      }).catch(() => false);
      await this.deps.placement.deleteAllocations(migrationUuid).catch(() => undefined);
    }
    await updateMigration(this.deps.db, migrationUuid, { status: 'error' });
    await updateInstance(this.deps.db, instance.uuid, { task_state: null }, [TaskState.RESIZE_PREP]);
  }
}
