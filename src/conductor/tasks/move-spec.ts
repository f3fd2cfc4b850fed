/**
 * What a move asks of the scheduler, and the group check of a destination
 * the scheduler does not choose. Nova reuses the RequestSpec stored at create,
 * whose instance_group every move carries; ours keeps the group in its
 * membership table, so the move's spec names it again as the `group` hint.
 * The scheduler then holds the group's hard policy with the moving server
 * left out of its members' hosts: it is leaving its own.
 */
import type { ComputeDb } from '../../compute/db/tables.js';
import { groupPolicyViolation, type GroupAffinityViolation } from '../../compute/group-policy.js';
import { groupPlacement, serverGroupsOf } from '../../compute/server-groups.js';
import { moveSchedulerHints, type Flavor, type Instance, type RequestSpec } from '../../objects/index.js';
import { MoveRefused } from './move-claims.js';

type Move = Parameters<typeof moveSchedulerHints>[0];

export interface MoveSpecOptions {
  /** The flavor to place (a resize's new one); the server's own by default. */
  flavor?: Flavor;
  /** The zone to place in; the server's by default. */
  availabilityZone?: string | null;
  /** Hosts the move may not go to (the source, unless a resize may stay). */
  ignoreHosts?: string[];
  /** The administrator's destination, which the filters still check. */
  requestedHost: string | null;
}

/** The server's group (at most one, as Nova allows), or null. */
export async function groupOfServer(db: ComputeDb, instanceUuid: string): Promise<string | null> {
  const [group] = await serverGroupsOf(db, instanceUuid);
  return group ?? null;
}

export async function moveRequestSpec(db: ComputeDb, instance: Instance, move: Move, opts: MoveSpecOptions): Promise<RequestSpec> {
  const group = await groupOfServer(db, instance.uuid);
  return {
    instance_uuid: instance.uuid, project_id: instance.project_id, user_id: instance.user_id, flavor: opts.flavor ?? instance.flavor,
    image: { id: instance.image_ref, name: null, disk_format: null, container_format: null, size: null, min_disk: 0, min_ram: 0, properties: {} },
    num_instances: 1,
    availability_zone: opts.availabilityZone === undefined ? instance.availability_zone : opts.availabilityZone,
    // Kept as a list, as Nova's RequestSpec keeps hints.
    scheduler_hints: { ...moveSchedulerHints(move), ...(group ? { group: [group] } : {}) },
    ignore_hosts: opts.ignoreHosts ?? [], force_hosts: opts.requestedHost ? [opts.requestedHost] : [], force_nodes: [],
  };
}

/**
 * A forced destination skips the scheduler, but not the group: Nova's
 * destination refuses it (check_can_live_migrate_destination, the late check
 * of an evacuation's rebuild). Checked here, before anything is claimed, with
 * the rule the compute hosts use; refused as Nova's MigrationPreCheckError.
 */
export async function refuseGroupViolationOn(db: ComputeDb, instance: Instance, host: string): Promise<void> {
  const group = await groupOfServer(db, instance.uuid);
  const placement = group === null ? null : await groupPlacement(db, group, [instance.uuid]);
  const violation: GroupAffinityViolation | null = placement ? groupPolicyViolation(placement, host) : null;
  if (violation) {
    throw new MoveRefused('MigrationPreCheckError', `Migration pre-check error: Failed to validate instance group policy due to: ${violation.message}`);
  }
}
