/**
 * Nova's conductor LiveMigrationTask: the server's allocation moves to the
 * migration record, a destination is chosen (by the scheduler, or the
 * administrator's host taken as it is when forced) and claimed for the server,
 * and the source host is told to start. A call: before 2.34 its refusals
 * (NoValidHost, MigrationPreCheckError, ...) reach the API as 400s. The
 * rollback leaves the server where and as it was.
 */
import { updateInstance } from '../../compute/instance-store.js';
import { updateMigration } from '../../compute/migration-store.js';
import { TaskState } from '../../compute/vm-states.js';
import type { Instance } from '../../objects/index.js';
import { RemoteError } from '../../bus/rpc.js';
import { ConductorTask } from './base.js';
import { moveRequestSpec, refuseGroupViolationOn } from './move-spec.js';
import { claimOnForcedHost, moveBackFromMigration, moveToMigration, MoveRefused, totalResources, type Allocations } from './move-claims.js';

export interface LiveMigrateArgs {
  instance: Instance;
  migrationUuid: string;
  /** The administrator's destination, or null for the scheduler's choice. */
  host: string | null;
  /** Take `host` without the scheduler (2.30's force, or any host before it). */
  force: boolean;
  blockMigration: boolean | null;
}

export class LiveMigrateTask extends ConductorTask<LiveMigrateArgs> {
  private moved: Allocations | null = null;

  protected async execute(): Promise<void> {
    const { instance, migrationUuid, host, force } = this.args;
    const { placement } = this.deps;
    const source = instance.host;
    if (!source) throw new MoveRefused('MigrationPreCheckError', `Migration pre-check error: instance ${instance.uuid} has no host.`);
    if (host && host === source) throw new MoveRefused('UnableToMigrateToSelf', `Unable to migrate instance (${instance.uuid}) to current host (${source}).`);
    this.moved = await moveToMigration(placement, instance, migrationUuid);
    let dest: { host: string; node: string };
    if (host && force) {
      await refuseGroupViolationOn(this.deps.db, instance, host);
      dest = await claimOnForcedHost(this.deps.db, placement, instance, host, this.moved ? totalResources(this.moved) : {});
    } else {
      const spec = await moveRequestSpec(this.deps.db, instance, 'live_migrate', { ignoreHosts: [source], requestedHost: host });
      const [[selected]] = await this.deps.scheduler.selectDestinations(this.ctx, { specObj: spec, instanceUuids: [instance.uuid], returnAlternates: false }).catch((err) => {
        if (err instanceof RemoteError && err.remoteName === 'NoValidHost') throw new MoveRefused('NoValidHost', err.message);
        throw err;
      });
      dest = { host: selected.service_host, node: selected.nodename };
    }
    await updateMigration(this.deps.db, migrationUuid, { dest_compute: dest.host, dest_node: dest.node });
    this.log.info({ instance: instance.uuid, source, dest: dest.host }, 'live migration scheduled');
    await this.deps.compute.liveMigration(this.ctx, source, { instance, migrationUuid, dest: dest.host });
  }

  protected async rollback(err: unknown): Promise<void> {
    const { instance, migrationUuid } = this.args;
    this.log.info({ err: (err as Error)?.message, instance: instance.uuid }, 'live migration not started; undoing');
    if (this.moved) await moveBackFromMigration(this.deps.placement, instance, migrationUuid, this.moved);
    await updateMigration(this.deps.db, migrationUuid, { status: 'error' });
    await updateInstance(this.deps.db, instance.uuid, { task_state: null }, [TaskState.MIGRATING]);
  }
}
