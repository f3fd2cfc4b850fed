import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../helpers/databases.js';
import { openPlacement, providerWith, type PlacementFixture } from './fixture.js';
import type { AllocationCandidates, AllocationCandidatesQuery } from '../../src/placement/types.js';
import type { ProviderState } from '../../src/placement/snapshot.js';

/** Placement's candidates as what tells them apart here: each provider in order, with the capacity and usage of each requested class. */
function offered(c: AllocationCandidates): unknown {
  return c.allocationRequests.map((r) => {
    const [uuid] = Object.keys(r.allocations);
    return { uuid, resources: r.allocations[uuid!]!.resources, summary: c.providerSummaries[uuid!]!.resources };
  });
}

/** The same, for the providers a snapshot finds fitting. */
function fitting(providers: readonly ProviderState[], resources: Record<string, number>): unknown {
  return providers.map((p) => ({
    uuid: p.uuid, resources,
    summary: Object.fromEntries(Object.keys(resources).map((rc) => [rc, { capacity: p.inventories[rc]!.capacity, used: p.inventories[rc]!.used }])),
  }));
}

for (const target of await databaseTargets()) {
  describe(`placement's fitting providers worked out from an inventory snapshot (${target.name})`, () => {
    let fx: PlacementFixture;
    let big: string; let small: string; let ratio: string; let stepped: string;
    before(async () => {
      fx = await openPlacement(target);
      big = await providerWith(fx.placement, { VCPU: { total: 16 }, MEMORY_MB: { total: 32768 }, DISK_GB: { total: 500 } }, { traits: ['COMPUTE_NODE'] });
      small = await providerWith(fx.placement, { VCPU: { total: 2 }, MEMORY_MB: { total: 2048, reserved: 1024 }, DISK_GB: { total: 20 } });
      ratio = await providerWith(fx.placement, { VCPU: { total: 4, allocation_ratio: 4 }, MEMORY_MB: { total: 10, allocation_ratio: 0.7 }, DISK_GB: { total: 100 } });
      stepped = await providerWith(fx.placement, { VCPU: { total: 64, step_size: 4, max_unit: 16 }, MEMORY_MB: { total: 65536, min_unit: 4096 } });
      assert.equal(await fx.placement.claimResources({ consumerUuid: crypto.randomUUID(), projectId: 'p', userId: 'u', allocations: { [big]: { resources: { VCPU: 10, MEMORY_MB: 1000 } } } }), true);
    });
    after(async () => { await fx.dispose(); });

    const queries: AllocationCandidatesQuery[] = [
      { resources: { VCPU: 1 } },
      { resources: { VCPU: 4 } },
      { resources: { VCPU: 8, MEMORY_MB: 4096 } },
      { resources: { VCPU: 20 } },
      { resources: { VCPU: 17 } },
      { resources: { MEMORY_MB: 7 } },
      { resources: { MEMORY_MB: 8 } },
      { resources: { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 } },
      { resources: { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 }, limit: 2 },
      { resources: { DISK_GB: 501 } },
    ];

    test('the same providers, capacities, usage and order as the query on the database, limit included', async () => {
      const snap = await fx.placement.inventorySnapshot();
      assert.equal(snap.length, 4);
      for (const q of queries) {
        const fromDb = await fx.placement.getAllocationCandidates(q);
        const fromSnap = fx.placement.fittingFromSnapshot(snap, q);
        assert.ok(fromSnap, JSON.stringify(q));
        assert.deepEqual(fitting(fromSnap, q.resources), offered(fromDb), JSON.stringify(q));
      }
      const providers = new Set(queries.flatMap((q) => fx.placement.fittingFromSnapshot(snap, q)!.map((p) => p.uuid)));
      assert.deepEqual([...providers].sort(), [big, small, ratio, stepped].sort(), 'every provider fits some query');
    });

    test('pending usage counts against the fit', async () => {
      const snap = await fx.placement.inventorySnapshot();
      const pending = new Map([[big, { VCPU: 3 }]]);
      const uuids = (resources: Record<string, number>) => fx.placement.fittingFromSnapshot(snap, { resources }, pending)!.map((p) => p.uuid);
      assert.equal(uuids({ VCPU: 4 }).includes(big), false, 'big has 6 VCPU left, 3 of them pending');
      assert.equal(uuids({ VCPU: 3 }).includes(big), true);
    });

    test('a query with traits, aggregates, a tree or full summaries is not answered from a snapshot', async () => {
      const snap = await fx.placement.inventorySnapshot();
      for (const extra of [{ required: ['COMPUTE_NODE'] }, { memberOf: [[crypto.randomUUID()]] }, { rootRequired: ['COMPUTE_NODE'] }, { inTree: big }, { summarizeAllClasses: true }]) {
        assert.equal(fx.placement.fittingFromSnapshot(snap, { resources: { VCPU: 1 }, ...extra }), null, JSON.stringify(extra));
      }
    });

    test('the stamp of a snapshot is placement\'s until a provider is created, written to or deleted; a claim tells the generation it left', async () => {
      const stamped = async () => fx.placement.stampOf(await fx.placement.inventorySnapshot());
      assert.deepEqual(await fx.placement.providersStamp(), await stamped());
      const before = await fx.placement.providersStamp();

      const bare = crypto.randomUUID();
      await fx.placement.ensureResourceProvider({ uuid: bare, name: `bare-${bare}` });
      const created = await fx.placement.providersStamp();
      assert.notDeepEqual(created, before, 'a provider created');
      assert.deepEqual(created, await stamped(), 'a provider without inventory is in the snapshot');
      assert.deepEqual((await fx.placement.inventorySnapshot([bare]))[0]?.inventories, {});
      assert.equal(fx.placement.fittingFromSnapshot(await fx.placement.inventorySnapshot(), { resources: { VCPU: 1 } })!.some((p) => p.uuid === bare), false);

      const consumer = crypto.randomUUID();
      const [{ generation: was }] = await fx.placement.inventorySnapshot([small]);
      const told = await fx.placement.claimWithGenerations({ consumerUuid: consumer, projectId: 'p', userId: 'u', allocations: { [small]: { resources: { VCPU: 1 } } } });
      assert.deepEqual(told, { [small]: was + 1 });
      assert.equal((await fx.placement.providerGenerations()).get(small), was + 1);
      assert.equal((await fx.placement.providersStamp()).generations, created.generations + 1, 'a claim');
      await fx.placement.deleteAllocations(consumer);
      assert.equal((await fx.placement.providersStamp()).generations, created.generations + 2, 'a release');
      assert.equal(await fx.placement.claimWithGenerations({ consumerUuid: consumer, projectId: 'p', userId: 'u', allocations: { [small]: { resources: { VCPU: 3 } } } }), null, 'refused: small has 2');

      await fx.placement.deleteResourceProvider(bare);
      const deleted = await fx.placement.providersStamp();
      assert.equal(deleted.count, before.count);
      assert.deepEqual(deleted, await stamped());
    });
  });
}
