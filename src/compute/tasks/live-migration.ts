/**
 * The compute-host steps of a live migration (Nova's live_migration,
 * pre_live_migration, post_live_migration_at_destination and
 * rollback_live_migration_at_destination). The server stays ACTIVE (or
 * PAUSED) with task_state migrating throughout.
 *
 *   source: liveMigration        preparing → dest: preLiveMigration (call)
 *                                running   → driver copies the guest (abort / force complete reach it here)
 *                                post-migrating: the source's allocation (the migration's) goes
 *                                          → dest: postLiveMigrationAtDestination (call) → completed
 *   on failure or abort:         dest: rollbackLiveMigrationAtDestination, the allocation moves back,
 *                                the server stays on the source; the migration is error / cancelled
 */
import type { RequestContext } from '../../bus/context.js';
import type { Instance } from '../../objects/instance.js';
import { LiveMigrationAborted, type LiveMigrationControl, type PowerStateValue } from '../../virt/driver.js';
import { withActionEvent } from './action-event.js';
import { instancePayload } from '../notifications.js';
import { TaskState } from '../vm-states.js';
import type { ComputeHostDeps } from './context.js';
import { driverInstanceFor } from './driver-for.js';
import { networkInfoOf } from './network-info.js';
import { wireInstancePorts } from './port-wiring.js';

/** The server's allocation becomes what its migration holds (the source's) again. */
async function restoreSourceAllocation(deps: ComputeHostDeps, instance: Instance, migrationUuid: string): Promise<void> {
  const held = await deps.placement.getAllocations(migrationUuid);
  if (Object.keys(held.allocations ?? {}).length === 0) return;
  await deps.placement.deleteAllocations(instance.uuid);
  const ok = await deps.placement.claimResources({
    consumerUuid: instance.uuid, allocations: held.allocations, projectId: instance.project_id, userId: instance.user_id, consumerGeneration: null,
  });
  if (!ok) throw new Error('could not give the server its source allocation back');
  await deps.placement.deleteAllocations(migrationUuid);
}

/** On the source. */
export async function liveMigrateInstance(
  deps: ComputeHostDeps, ctx: RequestContext, instance: Instance, migrationUuid: string, dest: string, control: LiveMigrationControl,
): Promise<void> {
  const log = deps.logger.child({ request_id: ctx.requestId, instance: instance.uuid });
  try {
    await withActionEvent(deps.store, ctx, instance.uuid, 'compute_live_migration', deps.host, async () => {
      if (!deps.driver.liveMigration) throw new Error(`the ${deps.driver.type} driver cannot live-migrate`);
      await deps.store.saveMigration(migrationUuid, { status: 'preparing' });
      await deps.notifier.info(ctx, 'instance.live_migration_pre.start', instancePayload(instance));
      await deps.compute!.preLiveMigration(ctx, dest, { instance, migrationUuid });
      await deps.notifier.info(ctx, 'instance.live_migration_pre.end', instancePayload(instance));
      // An abort that came while the destination prepared (Nova allows it in preparing at 2.65) ends it here.
      if (control.signal.aborted) throw new LiveMigrationAborted();
      await deps.store.saveMigration(migrationUuid, { status: 'running' });
      const di = driverInstanceFor(deps, instance);
      const { state } = await deps.driver.getInfo(di);
      await deps.driver.liveMigration!(di, dest, control);
      await deps.store.saveMigration(migrationUuid, { status: 'post-migrating' });
      await deps.notifier.info(ctx, 'instance.live_migration_post.start', instancePayload(instance));
      await deps.placement.deleteAllocations(migrationUuid);
      await deps.compute!.postLiveMigrationAtDestination(ctx, dest, { instance, migrationUuid, powerState: state });
      // Nova's _post_live_migration: the console URLs handed out led to this host's displays.
      await deps.store.deleteConsoleTokens(instance.uuid);
      await deps.notifier.info(ctx, 'instance.live_migration_post.end', instancePayload({ ...instance, host: dest }));
    }, { finishesAction: true });
    log.info({ source: deps.host, dest }, 'live migration completed');
  } catch (err) {
    const aborted = err instanceof LiveMigrationAborted;
    if (aborted) log.info('live migration aborted; the server stays on its source');
    else log.warn({ err }, 'live migration failed; the server stays on its source');
    await deps.compute!.rollbackLiveMigrationAtDestination(ctx, dest, { instance, migrationUuid })
      .catch((e: unknown) => log.warn({ err: e }, 'the destination could not roll back'));
    await restoreSourceAllocation(deps, instance, migrationUuid).catch((e: unknown) => log.error({ err: e }, 'the source allocation could not be restored'));
    await deps.store.saveMigration(migrationUuid, { status: aborted ? 'cancelled' : 'error' });
    await deps.store.saveInstance(instance.uuid, { task_state: null, host: deps.host, node: instance.node }, [TaskState.MIGRATING]);
    if (!aborted) {
      await deps.store.addInstanceFault(instance.uuid, { code: 500, message: 'Failed to live-migrate the server.', host: deps.host });
      await deps.notifier.error(ctx, 'instance.live_migration_rollback.end', instancePayload(instance));
    } else {
      await deps.notifier.info(ctx, 'instance.live_migration_abort.end', instancePayload(instance));
    }
    await deps.store.finishAction(ctx, instance.uuid);
  }
}

/**
 * At start, on the source, for a server a restart caught in task_state
 * migrating (Nova's _reset_live_migration): the copy died with the process,
 * so the migration is over — in error, the destination told to drop what it
 * prepared, the source allocation given back. The destination may not be
 * listening yet in a process that starts every host, so its rollback is not
 * waited for; the caller clears the task state.
 */
export async function resetLiveMigration(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance): Promise<void> {
  const log = deps.logger.child({ request_id: ctx.requestId, instance: instance.uuid });
  for (const m of await deps.store.listInProgressLiveMigrations(instance.uuid)) {
    if (m.dest_compute && m.dest_compute !== deps.host) {
      void deps.compute?.rollbackLiveMigrationAtDestination(ctx, m.dest_compute, { instance, migrationUuid: m.uuid })
        .catch((e: unknown) => log.warn({ err: e }, 'the destination could not roll back an interrupted live migration'));
    }
    await restoreSourceAllocation(deps, instance, m.uuid).catch((e: unknown) => log.error({ err: e }, 'the source allocation could not be restored'));
    await deps.store.saveMigration(m.uuid, { status: 'error' });
    log.warn({ migration: m.uuid }, 'live migration interrupted by a restart; set to error');
  }
}

/** On the destination, before the copy. */
export async function preLiveMigration(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance): Promise<void> {
  if (!deps.driver.preLiveMigration) throw new Error(`the ${deps.driver.type} driver cannot receive a live migration`);
  await withActionEvent(deps.store, ctx, instance.uuid, 'compute_pre_live_migration', deps.host, async () => {
    await deps.driver.preLiveMigration!(driverInstanceFor(deps, instance), await networkInfoOf(deps, instance.uuid));
  });
}

/** On the destination, after the copy: the server is here now. */
export async function postLiveMigrationAtDestination(
  deps: ComputeHostDeps, ctx: RequestContext, instance: Instance, migrationUuid: string, powerState: PowerStateValue,
): Promise<void> {
  const migration = await deps.store.getMigration(migrationUuid);
  const node = migration?.dest_node ?? deps.host;
  const here: Instance = { ...instance, host: deps.host, node };
  await withActionEvent(deps.store, ctx, instance.uuid, 'compute_post_live_migration_at_destination', deps.host, async () => {
    await deps.driver.postLiveMigrationAtDestination?.(driverInstanceFor(deps, here), await networkInfoOf(deps, instance.uuid), { powerState });
    // As Nova's migrate_instance_finish: the ports now belong to this host (a trunk's subports follow its parent).
    await deps.network.bindInstancePorts(instance.uuid, deps.host);
    await wireInstancePorts(deps, instance.uuid);
  });
  await deps.store.saveMigration(migrationUuid, { status: 'completed' });
  await deps.store.saveInstance(instance.uuid, { host: deps.host, node, power_state: powerState, task_state: null, progress: 0 }, [TaskState.MIGRATING]);
}

/** On the destination, when the migration did not happen. */
export async function rollbackLiveMigrationAtDestination(deps: ComputeHostDeps, _ctx: RequestContext, instance: Instance): Promise<void> {
  await deps.driver.rollbackLiveMigrationAtDestination?.(driverInstanceFor(deps, instance), await networkInfoOf(deps, instance.uuid));
}
