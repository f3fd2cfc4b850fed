/** A fresh PlacementService on a fresh database of the given target. */
import { syncDatabase } from '../../src/db/migrate.js';
import { placementMigrations } from '../../src/placement/migrations.js';
import { PlacementService } from '../../src/placement/service.js';
import type { DatabaseTarget } from '../helpers/databases.js';
import { testLogger } from '../helpers/logger.js';

export interface PlacementFixture {
  placement: PlacementService;
  dispose(): Promise<void>;
}

export async function openPlacement(target: DatabaseTarget): Promise<PlacementFixture> {
  const handle = await target.open();
  await syncDatabase(handle.db, [placementMigrations]);
  return { placement: new PlacementService({ db: handle.db, logger: testLogger }), dispose: () => handle.dispose() };
}

let counter = 0;
/** A provider with the given inventory, under a unique name. */
export async function providerWith(placement: PlacementService, inventories: Parameters<PlacementService['setInventories']>[1], opts: { traits?: string[]; aggregates?: string[] } = {}): Promise<string> {
  const uuid = crypto.randomUUID();
  await placement.ensureResourceProvider({ uuid, name: `host-${++counter}-${uuid.slice(0, 8)}` });
  await placement.setInventories(uuid, inventories);
  if (opts.traits) await placement.setTraits(uuid, opts.traits);
  if (opts.aggregates) await placement.setAggregates(uuid, opts.aggregates);
  return uuid;
}
