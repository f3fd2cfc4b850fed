/**
 * At conductor start: servers a restart caught before any host was chosen for
 * them (BUILD/scheduling with no host: the build_instances cast was lost with
 * the process, or the conductor died while scheduling or rescheduling).
 *
 * They go to ERROR with a fault rather than through build_instances again:
 * what survives a restart is not the request. The stored request spec keeps
 * only the flavor, image id and zone; the requested networks and ports,
 * scheduler hints, forced host and the image's properties exist only in the
 * cast that was lost, so a re-driven build could boot something other than
 * what the user asked for. A clear ERROR the user can delete and retry is the
 * honest outcome. Whatever the scheduler had claimed, and any port a
 * reschedule left, is released.
 *
 * At start it runs only where this conductor is the only one (the all-in-one,
 * whose in-process bus loses its casts with the process). Separate conductors
 * over a broker skip it: a conductor killed mid-build never acknowledged its
 * build_instances, so the broker hands it to the next conductor, and with
 * several conductors a server with no host may be one another is scheduling
 * right now. There, only servers older than [DEFAULT] instance_build_timeout
 * are settled, periodically, as a compute host settles its own.
 */
import type { Logger } from 'pino';
import type { Notifier } from '../../bus/notifier.js';
import type { ComputeDb } from '../../compute/db/tables.js';
import type { NetworkClient, PlacementClient } from '../../compute/clients.js';
import { getMetadata, instanceFromRow } from '../../compute/instance-store.js';
import { setInstanceError } from '../../compute/build-failure.js';
import { failInterruptedEvents, findInterruptedAction } from '../../compute/interrupted-action.js';
import { VmState } from '../../compute/vm-states.js';

export interface RecoverUnscheduledDeps {
  db: ComputeDb;
  placement: PlacementClient;
  network: Pick<NetworkClient, 'deallocateForInstance'>;
  notifier: Notifier;
  logger: Logger;
  host: string;
}

export function unscheduledBuildMessage(uuid: string): string {
  return `Build of instance ${uuid} was interrupted by a restart of the compute service before a host was chosen for it.`;
}

export const BUILD_TIMED_OUT = 'Instance build timed out. Set to error state.';

/**
 * Returns how many servers it set to ERROR: every unscheduled one, or with
 * createdBefore only those created before it (a build that outlived its timeout).
 */
export async function recoverUnscheduledInstances(deps: RecoverUnscheduledDeps, opts: { createdBefore?: string } = {}): Promise<number> {
  let query = deps.db.selectFrom('instances').selectAll()
    .where('deleted', '=', 0).where('vm_state', '=', VmState.BUILDING).where('host', 'is', null);
  if (opts.createdBefore !== undefined) query = query.where('created_at', '<', opts.createdBefore);
  const rows = await query.execute();
  if (rows.length === 0) return 0;
  const metadata = await getMetadata(deps.db, rows.map((r) => r.uuid));
  for (const row of rows) {
    const instance = instanceFromRow(row, metadata.get(row.uuid) ?? {});
    const { ctx } = await findInterruptedAction(deps.db, row.uuid);
    const log = deps.logger.child({ request_id: ctx.requestId, instance: row.uuid });
    try {
      log.warn({ task_state: row.task_state, timed_out: opts.createdBefore !== undefined }, 'build ended before it had a host; setting the server to ERROR');
      await failInterruptedEvents(deps.db, ctx, row.uuid, { event: 'conductor_schedule_and_build_instances', host: deps.host });
      await deps.network.deallocateForInstance(row.uuid);
      await setInstanceError(deps, ctx, instance, { code: 500, message: opts.createdBefore !== undefined ? BUILD_TIMED_OUT : unscheduledBuildMessage(row.uuid) });
    } catch (err) {
      log.error({ err }, 'could not recover an unscheduled server at start');
    }
  }
  return rows.length;
}
