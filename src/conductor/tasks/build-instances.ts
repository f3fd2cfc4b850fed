/**
 * Scheduling and starting the build of a group of servers: ask the scheduler
 * for hosts (it claims allocations), record each server's host, and cast
 * buildAndRunInstance to each host with its alternates for rescheduling.
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

export class BuildInstancesTask extends ConductorTask<BuildInstancesArgs> {
  protected async execute(): Promise<void> {
    const { instances } = this.args;
    const uuids = instances.map((i) => i.uuid);
    const event = await insertActionEvent(this.deps.db, this.ctx, uuids[0], 'conductor_schedule_and_build_instances', this.deps.host);
    let selections: Selection[][];
    try {
      selections = await this.selectDestinations(uuids);
    } catch (err) {
      if (event) await finishActionEvent(this.deps.db, event, 'Error', (err as Error)?.name ?? null, false);
      throw err;
    }
    // The event's success is recorded with the first server's placement: one statement where the database allows.
    const success: EventStep = event ? { finish: { ref: event, result: 'Success', details: null, finishAction: false } } : {};

    await Promise.all(instances.map(async (instance, i) => {
      const [chosen, ...alternates] = selections[i];
      const { saved: placed } = await saveInstanceWithEvent(this.deps.db, this.ctx, instance.uuid, {
        host: chosen.service_host, node: chosen.nodename, launched_on: chosen.service_host,
        availability_zone: chosen.availability_zone, task_state: null,
      }, ['scheduling'], i === 0 ? success : {});
      if (!placed && i === 0 && event) await finishActionEvent(this.deps.db, event, 'Success', null, false);
      if (!placed) {
        // Deleted while it was being scheduled: give back what was just claimed for it.
        this.log.info({ instance: instance.uuid }, 'instance deleted during scheduling; releasing its allocation');
        await this.deps.placement.deleteAllocations(instance.uuid);
        return;
      }
      try {
        await this.castBuild({ ...instance, host: chosen.service_host, node: chosen.nodename, availability_zone: chosen.availability_zone, task_state: null }, chosen, alternates, i);
      } catch (err) {
        await this.castFailed(instance, chosen, err);
      }
    }));
  }

  private async selectDestinations(uuids: string[]): Promise<Selection[][]> {
    const ask = () => this.deps.scheduler.selectDestinations(this.ctx, { specObj: this.args.requestSpec, instanceUuids: uuids, returnAlternates: true });
    try {
      return await ask();
    } catch (err) {
      if (!(await this.releaseEarlierClaims(uuids))) throw err;
      this.log.warn({ instances: uuids }, 'released the claims of an earlier attempt at this build; scheduling again');
      return ask();
    }
  }

  /**
   * A build_instances the broker handed over again after the conductor that
   * had taken it died mid-way (it is acknowledged only once handled): that
   * attempt's claims are still held, so claiming for the same servers again
   * fails. A server still being scheduled holds nothing else, so whatever it
   * holds is that attempt's. Only asked after a failure: a first delivery
   * pays nothing for it.
   */
  private async releaseEarlierClaims(uuids: string[]): Promise<boolean> {
    let released = false;
    for (const uuid of uuids) {
      const held = await this.deps.placement.getAllocations(uuid).catch(() => ({ allocations: {} }));
      if (Object.keys(held.allocations).length === 0) continue;
      await this.deps.placement.deleteAllocations(uuid);
      released = true;
    }
    return released;
  }

  private async castBuild(instance: BuildInstancesArgs['instances'][number], chosen: Selection, alternates: Selection[], i: number): Promise<void> {
    await this.deps.compute.buildAndRunInstance(this.ctx, chosen.service_host, {
      instance, requestSpec: { ...this.args.requestSpec, instance_uuid: instance.uuid, num_instances: 1 },
      requestedNetworks: this.args.requestedNetworks,
      blockDeviceMappings: this.args.blockDeviceMappings[i] ?? [],
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
    await Promise.all(this.args.instances.map((instance) =>
      setInstanceError(this.deps, this.ctx, instance, { code: 500, message })));
  }
}
