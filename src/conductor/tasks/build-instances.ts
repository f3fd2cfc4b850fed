/**
 * Scheduling and starting the build of a group of servers: ask the scheduler
 * for hosts (it claims allocations), record each server's host, and cast
 * buildAndRunInstance to each host with its alternates for rescheduling.
 * Handed over again after a conductor died mid-way, it finishes what that
 * attempt started rather than starting over (see earlierAttempt).
 */
import { RemoteError, RpcTimeout } from '../../bus/rpc.js';
import { updateInstance } from '../../compute/instance-store.js';
import { finishActionEvent, insertActionEvent } from '../../compute/instance-actions.js';
import { saveInstanceWithEvent } from '../../compute/host-objects/save-with-event.js';
import type { EventStep } from '../../compute/host-objects/port.js';
import { setInstanceError } from '../../compute/build-failure.js';
import type { BuildInstancesArgs } from '../rpcapi.js';
import type { Selection } from '../../objects/selection.js';
import { ConductorTask } from './base.js';
import { TaskState, VmState } from '../../compute/vm-states.js';

export class BuildInstancesTask extends ConductorTask<BuildInstancesArgs> {
  /** The servers this attempt schedules: all of them, less those an earlier attempt placed or finished. */
  private scheduling = this.args.instances;

  protected async execute(): Promise<void> {
    const uuids = this.args.instances.map((i) => i.uuid);
    const event = await insertActionEvent(this.deps.db, this.ctx, uuids[0], 'conductor_schedule_and_build_instances', this.deps.host);
    let selections: Selection[][];
    try {
      selections = await this.selectDestinations(uuids);
    } catch (err) {
      if (event) await finishActionEvent(this.deps.db, event, 'Error', (err as Error)?.name ?? null, false);
      throw err;
    }
    // The event's success is recorded with the first server's placement: one statement where the database allows.
    const withEvent = this.scheduling[0]?.uuid === uuids[0] ? uuids[0] : undefined;
    if (event && withEvent === undefined) await finishActionEvent(this.deps.db, event, 'Success', null, false);
    const success: EventStep = event ? { finish: { ref: event, result: 'Success', details: null, finishAction: false } } : {};

    await Promise.all(this.scheduling.map(async (instance, i) => {
      const [chosen, ...alternates] = selections[i];
      const { saved: placed } = await saveInstanceWithEvent(this.deps.db, this.ctx, instance.uuid, {
        host: chosen.service_host, node: chosen.nodename, launched_on: chosen.service_host,
        availability_zone: chosen.availability_zone, task_state: null,
      }, ['scheduling'], instance.uuid === withEvent ? success : {});
      if (!placed && instance.uuid === withEvent && event) await finishActionEvent(this.deps.db, event, 'Success', null, false);
      if (!placed) {
        // Deleted while it was being scheduled: give back what was just claimed for it.
        this.log.info({ instance: instance.uuid }, 'instance deleted during scheduling; releasing its allocation');
        await this.deps.placement.deleteAllocations(instance.uuid);
        return;
      }
      await this.buildOn(instance, chosen, alternates);
    }));
  }

  private async buildOn(instance: BuildInstancesArgs['instances'][number], chosen: Selection, alternates: Selection[]): Promise<void> {
    try {
      await this.castBuild({ ...instance, host: chosen.service_host, node: chosen.nodename, availability_zone: chosen.availability_zone, task_state: null }, chosen, alternates);
    } catch (err) {
      await this.castFailed(instance, chosen, err);
    }
  }

  private async selectDestinations(uuids: string[]): Promise<Selection[][]> {
    const ask = (ids: string[]) => this.deps.scheduler.selectDestinations(this.ctx, { specObj: this.args.requestSpec, instanceUuids: ids, returnAlternates: true });
    try {
      return await ask(uuids);
    } catch (err) {
      const earlier = await this.earlierAttempt(uuids);
      if (!earlier) throw err;
      this.log.warn({ placed: [...earlier.placed.keys()], unplaced: earlier.unplaced },
        'found an earlier attempt at this build: the servers it placed are built where it put them, the others scheduled again');
      this.scheduling = this.args.instances.filter((i) => earlier.unplaced.includes(i.uuid));
      await Promise.all(this.args.instances.filter((i) => earlier.placed.has(i.uuid)).map((i) => this.buildOn(i, earlier.placed.get(i.uuid)!, [])));
      return earlier.unplaced.length > 0 ? ask(earlier.unplaced) : [];
    }
  }

  /**
   * A build_instances the broker handed over again after the conductor that
   * had taken it died mid-way (it is acknowledged only once handled): that
   * attempt's claims are still held, so claiming for the same servers again
   * fails. A server still being scheduled holds nothing else, so whatever it
   * holds is that attempt's: given back, and the server scheduled again. So
   * is what a deleted server holds. A server that attempt put on a host (the
   * host recorded, the build not started there) keeps its host and its
   * claim: the attempt may have died before casting the build, so it is cast
   * to that host again (a host that did take it drops the second). A server
   * past that (building, built, failed) is no longer this request's to touch.
   * Only asked after a failure: a first delivery pays nothing for it. Null
   * when nothing shows such an attempt.
   */
  private async earlierAttempt(uuids: string[]): Promise<{ placed: Map<string, Selection>; unplaced: string[] } | null> {
    const rows = new Map((await this.deps.db.selectFrom('instances')
      .select(['uuid', 'vm_state', 'task_state', 'host', 'node', 'availability_zone'])
      .where('uuid', 'in', uuids).where('deleted', '=', 0).execute()).map((r) => [r.uuid, r]));
    const placed = new Map<string, Selection>();
    const unplaced: string[] = [];
    let released = false;
    for (const uuid of uuids) {
      const row = rows.get(uuid);
      if (!row || (row.vm_state === VmState.BUILDING && row.task_state === TaskState.SCHEDULING && row.host === null)) {
        if (row) unplaced.push(uuid);
        released = (await this.releaseClaim(uuid)) || released;
      } else if (row.vm_state === VmState.BUILDING && row.task_state === null && row.host !== null && row.node !== null) {
        const held = await this.deps.placement.getAllocations(uuid).catch(() => ({ allocations: {} }));
        placed.set(uuid, {
          service_host: row.host, nodename: row.node, compute_node_uuid: Object.keys(held.allocations)[0] ?? '',
          allocation_request: null, allocation_request_version: null, availability_zone: row.availability_zone,
        });
      }
    }
    // Every server still being scheduled and holding nothing: the scheduler's failure was its own.
    return !released && unplaced.length === uuids.length ? null : { placed, unplaced };
  }

  private async releaseClaim(uuid: string): Promise<boolean> {
    const held = await this.deps.placement.getAllocations(uuid).catch(() => ({ allocations: {} }));
    if (Object.keys(held.allocations).length === 0) return false;
    await this.deps.placement.deleteAllocations(uuid);
    return true;
  }

  private async castBuild(instance: BuildInstancesArgs['instances'][number], chosen: Selection, alternates: Selection[]): Promise<void> {
    await this.deps.compute.buildAndRunInstance(this.ctx, chosen.service_host, {
      instance, requestSpec: { ...this.args.requestSpec, instance_uuid: instance.uuid, num_instances: 1 },
      requestedNetworks: this.args.requestedNetworks,
      blockDeviceMappings: this.args.blockDeviceMappings[this.args.instances.findIndex((i) => i.uuid === instance.uuid)] ?? [],
      selection: chosen, alternates, injectedFiles: this.args.injectedFiles,
    });
  }

  /**
   * The bus did not take the build for the host (the broker went before it
   * confirmed the cast): the server must not wait in BUILD for a build that
   * may never come. Unless the host has started it already (its task state
   * moved on), the server leaves the host and goes to ERROR with its claim
   * released; the other servers of the request go on.
   */
  private async castFailed(instance: BuildInstancesArgs['instances'][number], chosen: Selection, err: unknown): Promise<void> {
    this.log.error({ err, instance: instance.uuid, host: chosen.service_host }, 'could not cast build_and_run_instance');
    const offHost = await updateInstance(this.deps.db, instance.uuid, { host: null, node: null, launched_on: null }, [null]);
    if (!offHost) return;
    await setInstanceError(this.deps, this.ctx, instance, { code: 500, message: `Build of instance ${instance.uuid} could not be sent to its host.` });
  }

  protected async rollback(err: unknown): Promise<void> {
    const noHost = err instanceof RemoteError && err.remoteName === 'NoValidHost';
    const message = noHost ? err.message
      : err instanceof RpcTimeout ? 'Timed out waiting for the scheduler.'
      : 'Unexpected error while scheduling the server.';
    if (!noHost) this.log.error({ err }, 'scheduling failed');
    else this.log.info({ reason: message }, 'no valid host');
    await Promise.all(this.scheduling.map((instance) =>
      setInstanceError(this.deps, this.ctx, instance, { code: 500, message })));
  }
}
