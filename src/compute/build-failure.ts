/**
 * A build the conductor gives up on (no host, or rescheduling failed): the
 * server goes to ERROR as a compute host would put it, through the same
 * object operations on the database the conductor holds.
 */
import type { Logger } from 'pino';
import type { RequestContext } from '../bus/context.js';
import type { Notifier } from '../bus/notifier.js';
import type { ComputeDb } from './db/tables.js';
import type { PlacementClient } from './clients.js';
import { DatabaseComputeHostStore } from './host-objects/database.js';
import type { Instance } from '../objects/instance.js';
import { markBuildFailed, type BuildFault } from './tasks/build-failure.js';

export async function setInstanceError(
  deps: { db: ComputeDb; placement: PlacementClient; notifier: Notifier; logger: Logger },
  ctx: RequestContext, instance: Instance, fault: BuildFault,
): Promise<void> {
  await markBuildFailed({ ...deps, store: new DatabaseComputeHostStore(deps.db) }, ctx, instance, fault);
}
