/**
 * The compute-host steps of a resize or cold migration (Nova's
 * resize_instance, finish_resize, confirm_resize, revert_resize and
 * finish_revert_resize). Each next step on another host goes by RPC; on the
 * same host it runs here directly, after this one.
 *
 *   source: resize_instance      power off, hand the disk over   → dest: finish_resize
 *   dest:   finish_resize        guest of the new flavor          → VERIFY_RESIZE
 *   source: confirm_resize       source leftovers and the migration's allocation go
 *   dest:   revert_resize        dest guest goes (another host)   → source: finish_revert_resize
 *   source: finish_revert_resize old flavor, allocation back, guest runs again
 */
import type { RequestContext } from '../../bus/context.js';
import { internalContext } from '../../bus/context.js';
import { newRequestId } from '../../bus/context.js';
import type { Flavor } from '../../objects/flavor.js';
import type { Instance } from '../../objects/instance.js';
import { PowerState } from '../../virt/driver.js';
import { toDriverInstance } from '../driver-instance.js';
import { withActionEvent } from './action-event.js';
import type { MigrationRow } from '../host-objects/port.js';
import { instancePayload } from '../notifications.js';
import { TaskState, VmState } from '../vm-states.js';
import type { ComputeHostDeps } from './context.js';
import { imageMetaForInstance } from './image-meta.js';
import { networkInfoOf } from './network-info.js';
import { wireInstancePorts } from './port-wiring.js';

type Next = (work: () => Promise<void>) => void;

function driverInstance(deps: ComputeHostDeps, instance: Instance) {
  return toDriverInstance(instance, imageMetaForInstance(instance), deps.conf.DEFAULT.instance_name_template);
}

async function migrationOrThrow(deps: ComputeHostDeps, uuid: string): Promise<MigrationRow> {
  const m = await deps.store.getMigration(uuid);
  if (!m) throw new Error(`migration ${uuid} not found`);
  return m;
}

/** A step failed: the server keeps its vm_state (Nova's reverts_task_state) with a fault, the migration is in error. */
async function failStep(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance, migrationUuid: string, err: unknown, what: string): Promise<void> {
  deps.logger.warn({ err, instance: instance.uuid, request_id: ctx.requestId }, `${what} failed`);
  await deps.store.saveMigration(migrationUuid, { status: 'error' });
  await deps.store.saveInstance(instance.uuid, { task_state: null });
  await deps.store.addInstanceFault(instance.uuid, { code: 500, message: `Failed to ${what} the server.`, host: deps.host });
  await deps.store.finishAction(ctx, instance.uuid);
}

/** On the source. */
export async function resizeInstance(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance, migrationUuid: string, flavor: Flavor, next: Next): Promise<void> {
  try {
    const migration = await migrationOrThrow(deps, migrationUuid);
    const dest = migration.dest_compute ?? deps.host;
    await deps.notifier.info(ctx, 'instance.resize.start', instancePayload(instance));
    await withActionEvent(deps.store, ctx, instance.uuid, 'compute_resize_instance', deps.host, async () => {
      await deps.store.saveInstance(instance.uuid, { task_state: TaskState.RESIZE_MIGRATING }, [TaskState.RESIZE_PREP]);
      await deps.driver.migrateDiskAndPowerOff(driverInstance(deps, instance), flavor, dest);
      await deps.store.saveMigration(migrationUuid, { status: 'post-migrating' });
      await deps.store.saveInstance(instance.uuid, { task_state: TaskState.RESIZE_MIGRATED, power_state: PowerState.SHUTDOWN }, [TaskState.RESIZE_MIGRATING]);
    });
    await deps.notifier.info(ctx, 'instance.resize.end', instancePayload(instance));
    if (dest === deps.host) next(() => finishResize(deps, ctx, instance, migrationUuid, flavor));
    else await deps.compute!.finishResize(ctx, dest, { instance, migrationUuid, flavor });
  } catch (err) {
    await failStep(deps, ctx, instance, migrationUuid, err, 'resize');
  }
}

/** On the destination. */
export async function finishResize(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance, migrationUuid: string, flavor: Flavor): Promise<void> {
  try {
    const migration = await migrationOrThrow(deps, migrationUuid);
    const powerOn = instance.vm_state !== VmState.STOPPED;
    const resized: Instance = { ...instance, flavor, host: deps.host, node: migration.dest_node ?? instance.node };
    await deps.notifier.info(ctx, 'instance.resize_finish.start', instancePayload(resized));
    const power = await withActionEvent(deps.store, ctx, instance.uuid, 'compute_finish_resize', deps.host, async () => {
      await deps.store.saveInstance(instance.uuid, {
        task_state: TaskState.RESIZE_FINISH, host: deps.host, node: resized.node, flavor: JSON.stringify(flavor), old_flavor: JSON.stringify(instance.flavor),
        vcpus: flavor.vcpus, memory_mb: flavor.memory_mb, root_gb: flavor.root_gb, ephemeral_gb: flavor.ephemeral_gb,
      }, [TaskState.RESIZE_MIGRATED]);
      // Nova's migrate_instance_finish: the ports belong to the destination now.
      await deps.network.bindInstancePorts(instance.uuid, deps.host);
      const di = driverInstance(deps, resized);
      const sameHost = migration.source_compute === deps.host;
      await deps.driver.finishMigration(di, await networkInfoOf(deps, instance.uuid), { sameHost, powerOn });
      await wireInstancePorts(deps, instance.uuid);
      // The console URLs handed out led to the source host's displays.
      if (!sameHost) await deps.store.deleteConsoleTokens(instance.uuid);
      return (await deps.driver.getInfo(di)).state;
    }, { finishesAction: true });
    await deps.store.saveMigration(migrationUuid, { status: 'finished' });
    await deps.store.saveInstance(instance.uuid, { vm_state: VmState.RESIZED, task_state: null, power_state: power }, [TaskState.RESIZE_FINISH]);
    await deps.notifier.info(ctx, 'instance.resize_finish.end', instancePayload({ ...resized, vm_state: VmState.RESIZED, task_state: null, power_state: power }));
  } catch (err) {
    await failStep(deps, ctx, instance, migrationUuid, err, 'finish the resize of');
  }
}

/** On the source: the source's leftovers and the migration's allocation go. */
export async function confirmResize(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance, migrationUuid: string): Promise<void> {
  try {
    const migration = await migrationOrThrow(deps, migrationUuid);
    await deps.notifier.info(ctx, 'instance.resize_confirm.start', instancePayload(instance));
    await withActionEvent(deps.store, ctx, instance.uuid, 'compute_confirm_resize', deps.host, async () => {
      await deps.driver.confirmMigration(driverInstance(deps, instance), { sameHost: migration.dest_compute === deps.host });
      await deps.placement.deleteAllocations(migrationUuid);
    }, { finishesAction: true });
    await deps.store.saveMigration(migrationUuid, { status: 'confirmed' });
    const vmState = instance.power_state === PowerState.SHUTDOWN ? VmState.STOPPED : VmState.ACTIVE;
    await deps.store.saveInstance(instance.uuid, { vm_state: vmState, task_state: null, old_flavor: null });
    await deps.notifier.info(ctx, 'instance.resize_confirm.end', instancePayload({ ...instance, vm_state: vmState, task_state: null }));
  } catch (err) {
    await failStep(deps, ctx, instance, migrationUuid, err, 'confirm the resize of');
  }
}

/** On the destination: its guest goes (when it is another host), then the source takes the server back. */
export async function revertResize(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance, migrationUuid: string, next: Next): Promise<void> {
  try {
    const migration = await migrationOrThrow(deps, migrationUuid);
    const source = migration.source_compute ?? deps.host;
    await withActionEvent(deps.store, ctx, instance.uuid, 'compute_revert_resize', deps.host, async () => {
      if (source !== deps.host) await deps.driver.destroy(driverInstance(deps, instance), await networkInfoOf(deps, instance.uuid));
    });
    if (source === deps.host) next(() => finishRevertResize(deps, ctx, instance, migrationUuid));
    else await deps.compute!.finishRevertResize(ctx, source, { instance, migrationUuid });
  } catch (err) {
    await failStep(deps, ctx, instance, migrationUuid, err, 'revert the resize of');
  }
}

/** On the source: the old flavor, the allocation and the guest come back. */
export async function finishRevertResize(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance, migrationUuid: string): Promise<void> {
  try {
    const migration = await migrationOrThrow(deps, migrationUuid);
    const record = await deps.store.getInstance(instance.uuid);
    if (!record) throw new Error(`instance ${instance.uuid} not found`);
    const oldFlavor = record.oldFlavor ?? instance.flavor;
    const reverted: Instance = { ...instance, flavor: oldFlavor, host: deps.host, node: migration.source_node ?? instance.node };
    const powerOn = instance.power_state !== PowerState.SHUTDOWN;
    await deps.notifier.info(ctx, 'instance.resize_revert.start', instancePayload(reverted));
    const power = await withActionEvent(deps.store, ctx, instance.uuid, 'compute_finish_revert_resize', deps.host, async () => {
      // The server's allocation is its migration's again (the source's), the destination's goes.
      const held = await deps.placement.getAllocations(migrationUuid);
      await deps.placement.deleteAllocations(instance.uuid);
      if (Object.keys(held.allocations ?? {}).length > 0) {
        const ok = await deps.placement.claimResources({
          consumerUuid: instance.uuid, allocations: held.allocations, projectId: instance.project_id, userId: instance.user_id, consumerGeneration: null,
        });
        if (!ok) throw new Error('could not give the server its source allocation back');
      }
      await deps.placement.deleteAllocations(migrationUuid);
      // And the ports the source again.
      await deps.network.bindInstancePorts(instance.uuid, deps.host);
      await deps.store.saveInstance(instance.uuid, {
        host: deps.host, node: reverted.node, flavor: JSON.stringify(oldFlavor), old_flavor: null,
        vcpus: oldFlavor.vcpus, memory_mb: oldFlavor.memory_mb, root_gb: oldFlavor.root_gb, ephemeral_gb: oldFlavor.ephemeral_gb,
      });
      const di = driverInstance(deps, reverted);
      await deps.driver.finishRevertMigration(di, await networkInfoOf(deps, instance.uuid), { powerOn });
      await wireInstancePorts(deps, instance.uuid);
      return (await deps.driver.getInfo(di)).state;
    }, { finishesAction: true });
    await deps.store.saveMigration(migrationUuid, { status: 'reverted' });
    const vmState = powerOn ? VmState.ACTIVE : VmState.STOPPED;
    await deps.store.saveInstance(instance.uuid, { vm_state: vmState, task_state: null, power_state: power });
    await deps.notifier.info(ctx, 'instance.resize_revert.end', instancePayload({ ...reverted, vm_state: vmState, task_state: null, power_state: power }));
  } catch (err) {
    await failStep(deps, ctx, instance, migrationUuid, err, 'revert the resize of');
  }
}

/**
 * Nova's _poll_unconfirmed_resizes: resizes finished on this host longer than
 * resize_confirm_window ago are confirmed as if the user had.
 */
export async function pollUnconfirmedResizes(deps: ComputeHostDeps, confirm: (instance: Instance, migration: MigrationRow, ctx: RequestContext) => Promise<void>): Promise<void> {
  const window = deps.conf.DEFAULT.resize_confirm_window;
  if (window <= 0) return;
  for (const m of await deps.store.listUnconfirmedMigrations(deps.host, window)) {
    if (!m.instance_uuid) continue;
    const instance = (await deps.store.getInstance(m.instance_uuid))?.instance;
    if (!instance || instance.vm_state !== VmState.RESIZED || instance.task_state !== null) continue;
    if (!(await deps.store.saveMigration(m.uuid, { status: 'confirming' }, ['finished']))) continue;
    const ctx = internalContext(newRequestId());
    deps.logger.info({ instance: instance.uuid, migration: m.uuid }, 'automatically confirming a resize past resize_confirm_window');
    await confirm(instance, m, ctx);
  }
}
