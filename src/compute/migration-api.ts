/**
 * The business rules of moving a server between hosts beyond cold migration
 * (which lives with resize in ServerActionAPI): live migration with its
 * force-complete and abort, the in-progress list of /servers/{id}/migrations,
 * and evacuation — as Nova's compute/api.py has them: policy on the server,
 * lock and state checks, the migration record, then the conductor.
 */
import type { AuthContext } from '../http/auth.js';
import { BadRequest, Conflict, NotFound } from '../errors.js';
import { RemoteError } from '../bus/rpc.js';
import { contextFromAuth } from '../bus/context.js';
import { computeServiceOf, firstNodeOf } from './host-store.js';
import { InstanceAction, finishAction, recordActionStart } from './instance-actions.js';
import { getMetadata, instanceFromRow, updateInstance, type InstanceRow } from './instance-store.js';
import {
  createMigration, inProgressLiveMigrations, LIVE_MIGRATION_IN_PROGRESS, migrationByIdAndInstance, type MigrationRow,
} from './migration-store.js';
import type { ServerActionAPI, ServerActionDeps, ServerLookup } from './server-action-api.js';
import { TaskState, VmState } from './vm-states.js';

/** The conductor's refusals Nova's API answers with a 400 (before 2.34, when live migration still waits for them). */
const PRE_CHECK_REFUSALS = new Set([
  'NoValidHost', 'ComputeServiceUnavailable', 'UnableToMigrateToSelf', 'MigrationPreCheckError', 'ComputeHostNotFound',
  'InvalidHypervisorType', 'InvalidCPUInfo', 'InvalidLocalStorage', 'InvalidSharedStorage', 'HypervisorUnavailable',
]);

export interface LiveMigrateOptions {
  host: string | null;
  blockMigration: boolean | null;
  /** 2.30's force: true takes the host as it is, false sends it through the scheduler; null (before 2.30) takes a given host as it is. */
  force: boolean | null;
  /** 2.34: the API answers before the conductor's checks, whose refusals only mark the migration failed. */
  async: boolean;
}

export interface EvacuateOptions {
  host: string | null;
  /** 2.29's force; null before it (a given host is then taken as it is). */
  force: boolean | null;
  adminPass: string | null;
}

export class MigrationAPI {
  constructor(private readonly deps: ServerActionDeps, private readonly servers: ServerLookup, private readonly actions: ServerActionAPI) {}

  private async instance(row: InstanceRow) {
    const md = await getMetadata(this.deps.db, [row.uuid]);
    return instanceFromRow(row, md.get(row.uuid) ?? {});
  }

  // ---- os-migrateLive ----------------------------------------------------------

  async liveMigrate(auth: AuthContext, requestId: string, uuid: string, opts: LiveMigrateOptions): Promise<void> {
    const row = await this.servers.get(auth, uuid, 'os_compute_api:os-migrate-server:migrate_live');
    if (opts.host) this.deps.policy.authorize('os_compute_api:os-migrate-server:migrate_live:host', { project_id: row.project_id }, auth);
    this.actions.checkLock(auth, row);
    this.actions.checkState(row, 'os-migrateLive', [VmState.ACTIVE, VmState.PAUSED]);
    if (!row.host) throw new Conflict(`Instance ${uuid} is not ready`);
    // The host is checked before the server changes (Nova's ComputeHostNotFound, a 400 at every version).
    if (opts.host && !(await firstNodeOf(this.deps.db, opts.host))) throw new BadRequest(`Compute host ${opts.host} could not be found.`);
    const forced = !!opts.host && opts.force !== false;
    if (forced && opts.host !== row.host && !(await this.deps.isComputeUp(opts.host!)) && !opts.async) {
      throw new BadRequest(`Compute service of ${opts.host} is unavailable at this time.`);
    }
    if (!(await updateInstance(this.deps.db, uuid, { task_state: TaskState.MIGRATING }, [null]))) {
      throw new Conflict(`Cannot 'os-migrateLive' instance ${uuid} while another action is in progress`);
    }
    const migration = await createMigration(this.deps.db, {
      instanceUuid: uuid, sourceCompute: row.host, sourceNode: row.node, oldFlavorId: JSON.parse(row.flavor).id, newFlavorId: JSON.parse(row.flavor).id,
      migrationType: 'live-migration', status: 'accepted', userId: auth.userId, projectId: row.project_id,
    });
    const ctx = contextFromAuth(auth, requestId);
    await recordActionStart(this.deps.db, ctx, uuid, InstanceAction.LIVE_MIGRATION);
    try {
      await this.deps.conductor.liveMigrateInstance(ctx, {
        instance: { ...(await this.instance(row)), task_state: TaskState.MIGRATING }, migrationUuid: migration.uuid,
        host: opts.host, force: forced, blockMigration: opts.blockMigration,
      });
    } catch (err) {
      await finishAction(this.deps.db, ctx, uuid);
      this.deps.logger.warn({ err, instance: uuid, request_id: requestId }, 'live migration could not start');
      if (opts.async) return;
      if (err instanceof RemoteError && PRE_CHECK_REFUSALS.has(err.remoteName)) throw new BadRequest(err.message);
      throw new BadRequest(`Migration pre-check error: the live migration of instance ${uuid} could not start.`);
    }
  }

  // ---- /servers/{id}/migrations ----------------------------------------------

  async listInProgress(auth: AuthContext, uuid: string): Promise<MigrationRow[]> {
    await this.servers.get(auth, uuid, 'os_compute_api:servers:migrations:index');
    return inProgressLiveMigrations(this.deps.db, uuid);
  }

  async showInProgress(auth: AuthContext, uuid: string, id: string): Promise<MigrationRow> {
    await this.servers.get(auth, uuid, 'os_compute_api:servers:migrations:show');
    const m = /^\d{1,15}$/.test(id) ? await migrationByIdAndInstance(this.deps.db, Number(id), uuid) : undefined;
    if (!m) throw new NotFound(`In-progress live migration ${id} is not found for server ${uuid}.`);
    if (m.migration_type !== 'live-migration') throw new NotFound(`Migration ${id} for server ${uuid} is not live-migration.`);
    if (!(LIVE_MIGRATION_IN_PROGRESS as readonly string[]).includes(m.status)) throw new NotFound(`Live migration ${id} for server ${uuid} is not in progress.`);
    return m;
  }

  async forceComplete(auth: AuthContext, requestId: string, uuid: string, id: string): Promise<void> {
    const row = await this.servers.get(auth, uuid, 'os_compute_api:servers:migrations:force_complete');
    this.actions.checkLock(auth, row);
    this.actions.checkState(row, 'force_complete', [VmState.ACTIVE], [TaskState.MIGRATING]);
    const m = /^\d{1,15}$/.test(id) ? await migrationByIdAndInstance(this.deps.db, Number(id), uuid) : undefined;
    if (!m) throw new BadRequest(`Migration ${id} not found for instance ${uuid}`);
    if (m.status !== 'running') {
      throw new BadRequest(`Migration ${id} state of instance ${uuid} is ${m.status}. Cannot force complete while the migration is in this state.`);
    }
    const ctx = contextFromAuth(auth, requestId);
    await recordActionStart(this.deps.db, ctx, uuid, InstanceAction.LIVE_MIGRATION_FORCE_COMPLETE);
    await this.deps.compute.liveMigrationForceComplete(ctx, m.source_compute!, { instance: await this.instance(row), migrationUuid: m.uuid });
    await finishAction(this.deps.db, ctx, uuid);
  }

  async abort(auth: AuthContext, requestId: string, uuid: string, id: string, abortQueued: boolean): Promise<void> {
    const row = await this.servers.get(auth, uuid, 'os_compute_api:servers:migrations:delete');
    this.actions.checkLock(auth, row);
    this.actions.checkState(row, 'abort live migration', null, [TaskState.MIGRATING]);
    const m = /^\d{1,15}$/.test(id) ? await migrationByIdAndInstance(this.deps.db, Number(id), uuid) : undefined;
    if (!m) throw new NotFound(`Migration ${id} not found for instance ${uuid}`);
    const allowed = abortQueued ? ['running', 'queued', 'preparing'] : ['running'];
    if (m.migration_type !== 'live-migration' || !allowed.includes(m.status)) {
      throw new BadRequest(`Migration ${id} state of instance ${uuid} is ${m.status}. Cannot abort live migration while the migration is in this state.`);
    }
    const ctx = contextFromAuth(auth, requestId);
    await recordActionStart(this.deps.db, ctx, uuid, InstanceAction.LIVE_MIGRATION_CANCEL);
    await this.deps.compute.liveMigrationAbort(ctx, m.source_compute!, { instance: await this.instance(row), migrationUuid: m.uuid });
    await finishAction(this.deps.db, ctx, uuid);
  }

  // ---- evacuate ------------------------------------------------------------------

  async evacuate(auth: AuthContext, requestId: string, uuid: string, opts: EvacuateOptions): Promise<void> {
    const row = await this.servers.get(auth, uuid, 'os_compute_api:os-evacuate');
    if (opts.host !== null && !(await computeServiceOf(this.deps.db, opts.host))) throw new NotFound(`Compute host ${opts.host} not found.`);
    if (row.host === opts.host) throw new BadRequest("The target host can't be the same one.");
    this.actions.checkState(row, 'evacuate', [VmState.ACTIVE, VmState.STOPPED, VmState.ERROR]);
    if (!row.host) throw new Conflict(`Instance ${uuid} is not ready`);
    // Only a server whose host is gone may be rebuilt elsewhere.
    if (await this.deps.isComputeUp(row.host)) throw new BadRequest(`Compute service of ${row.host} is still in use.`);
    if (!(await updateInstance(this.deps.db, uuid, { task_state: TaskState.REBUILDING }, [null]))) {
      throw new Conflict(`Cannot 'evacuate' instance ${uuid} while another action is in progress`);
    }
    const ctx = contextFromAuth(auth, requestId);
    await recordActionStart(this.deps.db, ctx, uuid, InstanceAction.EVACUATE);
    const flavorId = JSON.parse(row.flavor).id;
    const migration = await createMigration(this.deps.db, {
      instanceUuid: uuid, sourceCompute: row.host, sourceNode: row.node, oldFlavorId: flavorId, newFlavorId: flavorId,
      migrationType: 'evacuation', status: 'accepted', destCompute: opts.host, userId: auth.userId, projectId: row.project_id,
    });
    await this.deps.conductor.evacuateInstance(ctx, {
      instance: { ...(await this.instance(row)), task_state: TaskState.REBUILDING }, migrationUuid: migration.uuid,
      host: opts.host, force: !!opts.host && opts.force !== false, origVmState: row.vm_state, adminPassword: opts.adminPass,
    });
  }
}
