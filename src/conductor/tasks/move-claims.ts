/**
 * Allocation moves shared by the move operations (Nova's
 * migration-based allocations): while a server moves, what it holds on its
 * source belongs to the migration record, so the source stays counted and the
 * server's own consumer can claim the destination.
 */
import type { Instance } from '../../objects/index.js';
import type { PlacementClient } from '../../compute/clients.js';
import type { ComputeDb } from '../../compute/db/tables.js';
import { firstNodeOf } from '../../compute/host-store.js';

export type Allocations = Record<string, { resources: Record<string, number> }>;

/** A named error the API turns into a 400 (Nova's exception of that name). */
export class MoveRefused extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export async function currentAllocations(placement: PlacementClient, consumer: string): Promise<Allocations> {
  const held = await placement.getAllocations(consumer);
  const out: Allocations = {};
  for (const [rp, a] of Object.entries(held.allocations ?? {})) out[rp] = { resources: a.resources };
  return out;
}

/** The server's allocation moves to its migration; returns what moved (null when it held nothing). */
export async function moveToMigration(placement: PlacementClient, instance: Instance, migrationUuid: string): Promise<Allocations | null> {
  const current = await currentAllocations(placement, instance.uuid);
  if (Object.keys(current).length === 0) return null;
  const ok = await placement.claimResources({
    consumerUuid: migrationUuid, allocations: current, projectId: instance.project_id, userId: instance.user_id, consumerGeneration: null,
  });
  if (!ok) throw new Error('could not move the allocation of the server to its migration');
  await placement.deleteAllocations(instance.uuid);
  return current;
}

/** Undoes moveToMigration (and any destination claim the server's consumer got meanwhile). */
export async function moveBackFromMigration(placement: PlacementClient, instance: Instance, migrationUuid: string, moved: Allocations): Promise<void> {
  await placement.deleteAllocations(instance.uuid).catch(() => undefined);
  await placement.claimResources({
    consumerUuid: instance.uuid, allocations: moved, projectId: instance.project_id, userId: instance.user_id, consumerGeneration: null,
  }).catch(() => false);
  await placement.deleteAllocations(migrationUuid).catch(() => undefined);
}

/**
 * A forced destination (no scheduler): the server's consumer claims the
 * same resources on the host's node, added to what it holds (`keep`).
 * Refused as Nova's MigrationPreCheckError when the host lacks room.
 */
export async function claimOnForcedHost(
  db: ComputeDb, placement: PlacementClient, instance: Instance, host: string, resources: Record<string, number>, keep: Allocations = {},
): Promise<{ host: string; node: string }> {
  const node = await firstNodeOf(db, host);
  if (!node) throw new MoveRefused('ComputeHostNotFound', `Compute host ${host} could not be found.`);
  const ok = await placement.claimResources({
    // Written over whatever the consumer holds (no generation check): `keep` is what it keeps of that.
    consumerUuid: instance.uuid, allocations: { ...keep, [node.uuid]: { resources } },
    projectId: instance.project_id, userId: instance.user_id, consumerGeneration: undefined,
  });
  if (!ok) {
    throw new MoveRefused('MigrationPreCheckError',
      `Migration pre-check error: Unable to move instance ${instance.uuid} to host ${host}. There is not enough capacity on the host for the instance.`);
  }
  return { host, node: node.hypervisor_hostname };
}

/** The resources one provider's allocation asks for, summed over providers (a server uses one node). */
export function totalResources(allocs: Allocations): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of Object.values(allocs)) for (const [rc, n] of Object.entries(a.resources)) out[rc] = (out[rc] ?? 0) + n;
  return out;
}
