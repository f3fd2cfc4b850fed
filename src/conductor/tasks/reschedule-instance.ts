/**
 * A build failed on its host: claim the next alternate's allocation and send
 * the build there; with none left, the server goes to ERROR.
 */
import type { InjectedFile } from '../../virt/driver.js';
import { updateInstance } from '../../compute/instance-store.js';
import { setInstanceError } from '../../compute/build-failure.js';
import type { Instance, RequestSpec, NetworkRequestList, BlockDeviceMapping, Selection } from '../../objects/index.js';
import type { AllocationRequest } from '../../compute/clients.js';
import { ConductorTask } from './base.js';

export interface RescheduleArgs {
  instance: Instance;
  requestSpec: RequestSpec;
  requestedNetworks: NetworkRequestList;
  blockDeviceMappings: BlockDeviceMapping[];
  alternates: Selection[];
  reason: string;
  injectedFiles?: InjectedFile[];
}

export class RescheduleInstanceTask extends ConductorTask<RescheduleArgs> {
  protected async execute(): Promise<void> {
    const { instance } = this.args;
    const remaining = [...this.args.alternates];
    while (remaining.length > 0) {
      const next = remaining.shift() as Selection;
      const request = JSON.parse(next.allocation_request ?? '{"allocations":{}}') as AllocationRequest;
      const claimed = await this.deps.placement.claimResources({
        consumerUuid: instance.uuid, allocations: request.allocations,
        projectId: instance.project_id, userId: instance.user_id, consumerGeneration: null,
      });
      if (!claimed) continue;
      const placed = await updateInstance(this.deps.db, instance.uuid, {
        host: next.service_host, node: next.nodename, launched_on: next.service_host, availability_zone: next.availability_zone, task_state: null,
      }, ['scheduling']);
      if (!placed) {
        await this.deps.placement.deleteAllocations(instance.uuid);
        return;
      }
      this.log.info({ instance: instance.uuid, host: next.service_host, reason: this.args.reason }, 'rescheduling build to an alternate host');
      await this.deps.compute.buildAndRunInstance(this.ctx, next.service_host, {
        instance: { ...instance, host: next.service_host, node: next.nodename, task_state: null },
        requestSpec: { ...this.args.requestSpec, ignore_hosts: [...this.args.requestSpec.ignore_hosts, instance.host ?? ''] },
        requestedNetworks: this.args.requestedNetworks, blockDeviceMappings: this.args.blockDeviceMappings,
        selection: next, alternates: remaining, injectedFiles: this.args.injectedFiles,
      });
      return;
    }
    await setInstanceError(this.deps, this.ctx, instance, {
      code: 500,
      message: `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${instance.uuid}.`,
    });
  }

  protected async rollback(err: unknown): Promise<void> {
    this.log.error({ err, instance: this.args.instance.uuid }, 'rescheduling failed');
    await setInstanceError(this.deps, this.ctx, this.args.instance, { code: 500, message: 'Unexpected error while rescheduling the server.' });
  }
}
