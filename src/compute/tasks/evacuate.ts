/**
 * Evacuation on the compute hosts (Nova's rebuild_instance with recreate, and
 * _destroy_evacuated_instances at init_host).
 *
 * On the destination: the server, whose host is down, is built again here
 * from its image with its ports; it passes through rebuilding →
 * rebuild_block_device_mapping → rebuild_spawning and keeps its stopped
 * state (a server in ERROR comes back ACTIVE). The migration ends 'done', or
 * 'failed' with the server in ERROR — except when the server's group forbids
 * this host: then it is refused before anything, and the server keeps its state.
 *
 * On the source, when its compute service starts again: the guests evacuated
 * meanwhile are destroyed and their allocations on this host released; the
 * migration is then 'completed'.
 */
import type { RequestContext } from '../../bus/context.js';
import type { Instance } from '../../objects/instance.js';
import { SpawnFailed } from '../../virt/driver.js';
import { GroupAffinityViolation } from '../group-policy.js';
import { validateInstanceGroupPolicy } from './group-check.js';
import { toDriverInstance } from '../driver-instance.js';
import { withActionEventEndingInSave } from './action-event.js';
import { instancePayload } from '../notifications.js';
import { TaskState, VmState } from '../vm-states.js';
import type { ComputeHostDeps } from './context.js';
import { imageMetaForInstance } from './image-meta.js';
import { networkInfoOf } from './network-info.js';
import { wirePorts } from './port-wiring.js';

const ROOT_DEVICE = '/dev/vda';

/** The server was deleted while it was evacuated here; the delete cleans up. */
class EvacuationAbortedByDelete extends Error {}

/** On the destination. */
export async function evacuateInstance(
  deps: ComputeHostDeps, ctx: RequestContext, instance: Instance, migrationUuid: string, opts: { origVmState: string; group: string | null },
): Promise<void> {
  const log = deps.logger.child({ request_id: ctx.requestId, instance: instance.uuid });
  const migration = await deps.store.getMigration(migrationUuid);
  const node = migration?.dest_node ?? deps.host;
  const here: Instance = { ...instance, host: deps.host, node, root_device_name: ROOT_DEVICE };
  const stopped = opts.origVmState === VmState.STOPPED;
  await deps.notifier.info(ctx, 'instance.rebuild.start', instancePayload(here));
  try {
    const final = await withActionEventEndingInSave(deps.store, ctx, instance.uuid, 'compute_rebuild_instance', deps.host, async (success) => {
      // Nova's late check: an evacuation is not rescheduled, so a violation aborts it.
      await validateInstanceGroupPolicy(deps, instance.uuid, opts.group);
      const networkInfo = await networkInfoOf(deps, instance.uuid);
      if (!(await deps.store.saveInstance(instance.uuid, { host: deps.host, node, task_state: TaskState.REBUILD_BLOCK_DEVICE_MAPPING }, [TaskState.REBUILDING]))) {
        throw new Error('the server changed while it was evacuated');
      }
      // Its console URLs led to the failed host's displays.
      await deps.store.deleteConsoleTokens(instance.uuid);
      await deps.store.saveInstance(instance.uuid, { task_state: TaskState.REBUILD_SPAWNING }, [TaskState.REBUILD_BLOCK_DEVICE_MAPPING]);
      // Nova's setup_networks_on_host for the rebuild here: the ports follow the server.
      await deps.network.bindInstancePorts(instance.uuid, deps.host);
      const di = toDriverInstance(here, imageMetaForInstance(here), deps.conf.DEFAULT.instance_name_template);
      await deps.driver.spawn({
        instance: di, networkInfo,
        blockDeviceInfo: { rootDeviceName: ROOT_DEVICE, devices: [{ deviceName: ROOT_DEVICE, sourceType: 'image', destinationType: 'local', bootIndex: 0, size: null }] },
      });
      await wirePorts(deps, networkInfo.map((v) => v.id));
      if (stopped) await deps.driver.powerOff(di);
      const { state } = await deps.driver.getInfo(di);
      const done = { vm_state: stopped ? VmState.STOPPED : VmState.ACTIVE, task_state: null, power_state: state, launched_at: new Date().toISOString() };
      // The migration is done before the server shows idle, so whoever sees it idle sees the move finished.
      await deps.store.saveMigration(migrationUuid, { status: 'done' });
      // With its event's end, in one call: a server seen ACTIVE on its new host has its event finished.
      if (!(await deps.store.saveInstanceWithEvent(ctx, instance.uuid, done, [TaskState.REBUILD_SPAWNING], success)).saved) throw new EvacuationAbortedByDelete();
      return done;
    }, { finishesAction: true });
    await deps.notifier.info(ctx, 'instance.rebuild.end', instancePayload({ ...here, ...final }));
    log.info({ source: instance.host, dest: deps.host }, 'server evacuated');
  } catch (err) {
    if (err instanceof EvacuationAbortedByDelete) {
      log.info('server deleted during its evacuation');
      return;
    }
    if (err instanceof GroupAffinityViolation) {
      await abortEvacuation(deps, ctx, instance, migrationUuid, err);
      return;
    }
    const reason = err instanceof SpawnFailed ? err.message : 'Unexpected error while evacuating the server.';
    log.warn({ err }, 'evacuation failed');
    await deps.store.saveMigration(migrationUuid, { status: 'failed' });
    await deps.store.saveInstance(instance.uuid, { vm_state: VmState.ERROR, task_state: null });
    await deps.store.addInstanceFault(instance.uuid, { code: 500, message: `Evacuation of instance ${instance.uuid} failed: ${reason}`, host: deps.host });
    await deps.store.finishAction(ctx, instance.uuid);
  }
}

/**
 * Nothing was done here yet: the server keeps its state on its failed host
 * (Nova's InstanceFaultRollback), with the reason as a fault; the migration
 * failed, and what the server held on this host goes.
 */
async function abortEvacuation(deps: ComputeHostDeps, ctx: RequestContext, instance: Instance, migrationUuid: string, err: GroupAffinityViolation): Promise<void> {
  deps.logger.warn({ request_id: ctx.requestId, instance: instance.uuid, reason: err.message }, 'evacuation refused on this host');
  await deps.store.saveMigration(migrationUuid, { status: 'failed' });
  const [node] = await deps.store.listComputeNodes(deps.host);
  if (node) await releaseAllocationOn(deps, instance, node.uuid);
  await deps.store.saveInstance(instance.uuid, { task_state: null }, [TaskState.REBUILDING]);
  await deps.store.addInstanceFault(instance.uuid, { code: 500, message: `Build of instance ${instance.uuid} aborted: ${err.message}`, host: deps.host });
  await deps.notifier.error(ctx, 'instance.rebuild.error', instancePayload(instance));
  await deps.store.finishAction(ctx, instance.uuid);
}

/** On the source, at start: what the evacuations away from this host left here goes. */
export async function destroyEvacuatedInstances(deps: ComputeHostDeps): Promise<number> {
  const evacuations = await deps.store.listEvacuationsFrom(deps.host);
  if (evacuations.length === 0) return 0;
  const guests = new Set(await deps.driver.listInstances());
  const [node] = await deps.store.listComputeNodes(deps.host);
  let cleaned = 0;
  for (const m of evacuations) {
    const record = await deps.store.getInstance(m.instance_uuid, { readDeleted: true });
    // Only once the server is elsewhere (or gone): an evacuation still being scheduled may yet fail.
    if (m.status !== 'done' && record && !record.deleted) continue;
    if (guests.has(m.instance_uuid) && record) {
      const inst = record.instance;
      await deps.driver.destroy(toDriverInstance(inst, imageMetaForInstance(inst), deps.conf.DEFAULT.instance_name_template), [])
        .catch((err: unknown) => deps.logger.warn({ err, instance: m.instance_uuid }, 'could not destroy an evacuated guest'));
    }
    if (node && record) await releaseAllocationOn(deps, record.instance, node.uuid);
    await deps.store.saveMigration(m.uuid, { status: 'completed' });
    cleaned++;
  }
  if (cleaned > 0) deps.logger.info({ count: cleaned }, 'cleaned up servers evacuated from this host');
  return cleaned;
}

/** The server keeps only its allocations away from this host's provider. */
async function releaseAllocationOn(deps: ComputeHostDeps, server: { uuid: string; project_id: string; user_id: string }, rpUuid: string): Promise<void> {
  const instanceUuid = server.uuid;
  const held = await deps.placement.getAllocations(instanceUuid);
  const allocs = held.allocations ?? {};
  if (!(rpUuid in allocs)) return;
  const rest = Object.fromEntries(Object.entries(allocs).filter(([rp]) => rp !== rpUuid).map(([rp, a]) => [rp, { resources: a.resources }]));
  await deps.placement.deleteAllocations(instanceUuid);
  if (Object.keys(rest).length > 0) {
    await deps.placement.claimResources({
      consumerUuid: instanceUuid, allocations: rest, projectId: server.project_id, userId: server.user_id, consumerGeneration: null,
    });
  }
}
