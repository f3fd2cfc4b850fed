/**
 * Nova's conductor rebuild_instance with recreate (evacuate): the server's
 * host is down, so it is rebuilt elsewhere. A destination is chosen (the
 * scheduler, without the source; or the administrator's host as it is when
 * forced) and claimed for the server on top of what it still holds on the
 * source, which the source removes when its compute service starts again.
 * Then the destination rebuilds it. Without a destination the server keeps
 * its state, with a fault, and the migration is in error.
 */
import { addInstanceFault, updateInstance } from '../../compute/instance-store.js';
import { updateMigration } from '../../compute/migration-store.js';
import { finishAction } from '../../compute/instance-actions.js';
import { TaskState } from '../../compute/vm-states.js';
import type { Instance } from '../../objects/index.js';
import { RemoteError } from '../../bus/rpc.js';
import { ConductorTask } from './base.js';
import { groupOfServer, moveRequestSpec, refuseGroupViolationOn } from './move-spec.js';
import { claimOnForcedHost, currentAllocations, MoveRefused, totalResources, type Allocations } from './move-claims.js';

export interface EvacuateArgs {
  instance: Instance;
  migrationUuid: string;
  host: string | null;
  force: boolean;
  /** The vm_state before the evacuation, which the rebuilt server keeps (stopped stays stopped). */
  origVmState: string;
  adminPass: string | null;
}

export class EvacuateTask extends ConductorTask<EvacuateArgs> {
  private source: Allocations = {};
  private claimed = false;

  protected async execute(): Promise<void> {
    const { instance, migrationUuid, host, force } = this.args;
    const { placement } = this.deps;
    this.source = await currentAllocations(placement, instance.uuid);
    let dest: { host: string; node: string };
    if (host && force) {
      await refuseGroupViolationOn(this.deps.db, instance, host);
      dest = await claimOnForcedHost(this.deps.db, placement, instance, host, totalResources(this.source), this.source);
      this.claimed = true;
    } else {
      const spec = await moveRequestSpec(this.deps.db, instance, 'evacuate', { ignoreHosts: instance.host ? [instance.host] : [], requestedHost: host });
      // The scheduler claims for a consumer without allocations; the source's is added back beside its claim.
      await placement.deleteAllocations(instance.uuid);
      this.claimed = true;
      const [[selected]] = await this.deps.scheduler.selectDestinations(this.ctx, { specObj: spec, instanceUuids: [instance.uuid], returnAlternates: false });
      const onDest = await currentAllocations(placement, instance.uuid);
      const ok = await placement.claimResources({
        consumerUuid: instance.uuid, allocations: { ...this.source, ...onDest }, projectId: instance.project_id, userId: instance.user_id, consumerGeneration: undefined,
      });
      if (!ok) this.log.warn({ instance: instance.uuid }, 'the source allocation could not be kept beside the destination');
      dest = { host: selected.service_host, node: selected.nodename };
    }
    await updateMigration(this.deps.db, migrationUuid, { dest_compute: dest.host, dest_node: dest.node, status: 'pre-migrating' });
    this.log.info({ instance: instance.uuid, source: instance.host, dest: dest.host }, 'evacuation scheduled');
    await this.deps.compute.evacuateInstance(this.ctx, dest.host, {
      instance, migrationUuid, origVmState: this.args.origVmState, adminPassword: this.args.adminPass,
      group: (await groupOfServer(this.deps.db, instance.uuid)) ?? undefined,
    });
  }

  protected async rollback(err: unknown): Promise<void> {
    const { instance, migrationUuid } = this.args;
    // The scheduler's NoValidHost and a forced host's refusal tell the administrator why; anything else does not.
    const refused = (err instanceof RemoteError && err.remoteName === 'NoValidHost') || err instanceof MoveRefused;
    this.log.warn({ err: (err as Error)?.message, instance: instance.uuid }, 'evacuation not started');
    if (this.claimed && Object.keys(this.source).length > 0) {
      await this.deps.placement.claimResources({
        consumerUuid: instance.uuid, allocations: this.source, projectId: instance.project_id, userId: instance.user_id, consumerGeneration: undefined,
      }).catch(() => false);
    }
    await updateMigration(this.deps.db, migrationUuid, { status: 'error' });
    await updateInstance(this.deps.db, instance.uuid, { task_state: null }, [TaskState.REBUILDING]);
    await addInstanceFault(this.deps.db, instance.uuid, {
      code: refused ? 400 : 500, message: refused ? (err as Error).message : 'The evacuation could not start.', host: this.deps.host,
    });
    await finishAction(this.deps.db, this.ctx, instance.uuid);
  }
}
