import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../helpers/databases.js';
import { openPlacement, providerWith, type PlacementFixture } from './fixture.js';

for (const target of await databaseTargets()) {
  describe(`placement claims (${target.name})`, () => {
    let fx: PlacementFixture;
    before(async () => { fx = await openPlacement(target); });
    after(async () => { await fx.dispose(); });

    test('a claim across providers writes all or nothing', async () => {
      const a = await providerWith(fx.placement, { VCPU: { total: 4 } });
      const b = await providerWith(fx.placement, { DISK_GB: { total: 10 } });
      const genA = (await fx.placement.getResourceProvider(a))!.generation;
      const c = crypto.randomUUID();
      const ok = await fx.placement.claimResources({
        consumerUuid: c, projectId: 'p', userId: 'u',
        allocations: { [a]: { resources: { VCPU: 2 } }, [b]: { resources: { DISK_GB: 11 } } },
      });
      assert.equal(ok, false);
      assert.deepEqual(await fx.placement.getProviderUsages(a), { VCPU: 0 });
      assert.deepEqual((await fx.placement.getAllocations(c)).allocations, {});
      assert.equal((await fx.placement.getResourceProvider(a))!.generation, genA, 'a refused claim leaves generations alone');

      assert.equal(await fx.placement.claimResources({
        consumerUuid: c, projectId: 'p', userId: 'u',
        allocations: { [a]: { resources: { VCPU: 2 } }, [b]: { resources: { DISK_GB: 10 } } },
      }), true);
      assert.equal((await fx.placement.getResourceProvider(a))!.generation, genA + 1);
      assert.deepEqual(Object.keys((await fx.placement.getAllocations(c)).allocations).sort(), [a, b].sort());
    });

    test('a new consumer\'s claim across providers writes all or nothing, and says why it was refused', async () => {
      const a = await providerWith(fx.placement, { VCPU: { total: 4 } });
      const b = await providerWith(fx.placement, { DISK_GB: { total: 10 } });
      const genA = (await fx.placement.getResourceProvider(a))!.generation;
      const c = crypto.randomUUID();
      const refused = await fx.placement.writeAllocations([{
        consumerUuid: c, projectId: 'p', userId: 'u', consumerGeneration: null,
        allocations: { [a]: { resources: { VCPU: 2 } }, [b]: { resources: { DISK_GB: 11 } } },
      }]);
      assert.equal(refused.ok, false);
      assert.equal(!refused.ok && refused.reason, 'capacity');
      assert.deepEqual(await fx.placement.getProviderUsages(a), { VCPU: 0 });
      assert.deepEqual((await fx.placement.getAllocations(c)).allocations, {});
      assert.equal((await fx.placement.getResourceProvider(a))!.generation, genA, 'a refused claim leaves generations alone');

      assert.equal(await fx.placement.claimResources({
        consumerUuid: c, projectId: 'p', userId: 'u', consumerGeneration: null,
        allocations: { [a]: { resources: { VCPU: 2 } }, [b]: { resources: { DISK_GB: 10 } } },
      }), true);
      assert.equal((await fx.placement.getResourceProvider(a))!.generation, genA + 1);
      assert.deepEqual(await fx.placement.getProviderUsages(b), { DISK_GB: 10 });
      const held = await fx.placement.getAllocations(c);
      assert.deepEqual(held.allocations[a]?.resources, { VCPU: 2 });
      assert.equal(held.consumerGeneration, 1);
    });

    test('a new consumer\'s claim breaking min_unit or on a missing provider is refused with that reason', async () => {
      const rp = await providerWith(fx.placement, { VCPU: { total: 8, min_unit: 2 } });
      const claim = (rpUuid: string) => fx.placement.writeAllocations([{
        consumerUuid: crypto.randomUUID(), projectId: 'p', userId: 'u', consumerGeneration: null, allocations: { [rpUuid]: { resources: { VCPU: 1 } } },
      }]);
      const constraint = await claim(rp);
      assert.equal(!constraint.ok && constraint.reason, 'constraint');
      const missing = await claim(crypto.randomUUID());
      assert.equal(!missing.ok && missing.reason, 'provider_not_found');
      assert.deepEqual(await fx.placement.getProviderUsages(rp), { VCPU: 0 });
    });

    test('consumer generation: null means new, a number must match', async () => {
      const rp = await providerWith(fx.placement, { VCPU: { total: 8 } });
      const c = crypto.randomUUID();
      const base = { consumerUuid: c, projectId: 'p', userId: 'u', allocations: { [rp]: { resources: { VCPU: 1 } } } };
      await assert.rejects(fx.placement.claimResources({ ...base, consumerGeneration: 3 }), (e: { status?: number; type?: string }) => e.status === 409 && e.type === 'placement.concurrent_update');
      assert.equal(await fx.placement.claimResources({ ...base, consumerGeneration: null }), true);
      await assert.rejects(fx.placement.claimResources({ ...base, consumerGeneration: null }), (e: { status?: number }) => e.status === 409);
      assert.equal(await fx.placement.claimResources({ ...base, consumerGeneration: 1 }), true);
      assert.equal((await fx.placement.getAllocations(c)).consumerGeneration, 2);
    });

    test('deleting allocations frees capacity and forgets the consumer', async () => {
      const rp = await providerWith(fx.placement, { VCPU: { total: 2 } });
      const c = crypto.randomUUID();
      assert.equal(await fx.placement.claimResources({ consumerUuid: c, projectId: 'proj-del', userId: 'u', allocations: { [rp]: { resources: { VCPU: 2 } } } }), true);
      assert.deepEqual(await fx.placement.getProjectUsages('proj-del'), { VCPU: 2 });
      assert.equal(await fx.placement.deleteAllocations(c), true);
      assert.equal(await fx.placement.deleteAllocations(c), false);
      assert.deepEqual(await fx.placement.getProviderUsages(rp), { VCPU: 0 });
      assert.deepEqual(await fx.placement.getProjectUsages('proj-del'), {});
      assert.equal((await fx.placement.getAllocations(c)).consumerGeneration, undefined);
    });

    test('project usages sum a project\'s consumers, optionally per user', async () => {
      const rp = await providerWith(fx.placement, { VCPU: { total: 64 }, MEMORY_MB: { total: 65536 } });
      for (const [user, vcpu] of [['u1', 2], ['u1', 4], ['u2', 8]] as const) {
        assert.equal(await fx.placement.claimResources({ consumerUuid: crypto.randomUUID(), projectId: 'proj-u', userId: user, allocations: { [rp]: { resources: { VCPU: vcpu, MEMORY_MB: 512 } } } }), true);
      }
      assert.deepEqual(await fx.placement.getProjectUsages('proj-u'), { VCPU: 14, MEMORY_MB: 1536 });
      assert.deepEqual(await fx.placement.getProjectUsages('proj-u', 'u1'), { VCPU: 6, MEMORY_MB: 1024 });
    });

    test('a provider with allocations cannot be deleted', async () => {
      const rp = await providerWith(fx.placement, { VCPU: { total: 2 } });
      const c = crypto.randomUUID();
      await fx.placement.claimResources({ consumerUuid: c, projectId: 'p', userId: 'u', allocations: { [rp]: { resources: { VCPU: 1 } } } });
      await assert.rejects(fx.placement.deleteResourceProvider(rp), (e: { status?: number; type?: string }) => e.status === 409 && e.type === 'placement.resource_provider.inuse');
      await fx.placement.deleteAllocations(c);
      await fx.placement.deleteResourceProvider(rp);
      assert.equal(await fx.placement.getResourceProvider(rp), null);
      await assert.rejects(fx.placement.deleteResourceProvider(rp), (e: { status?: number }) => e.status === 404);
    });

    test('200 concurrent claims on one provider never oversubscribe', async () => {
      const capacity = 50;
      const rp = await providerWith(fx.placement, { VCPU: { total: capacity } });
      const results = await Promise.all(Array.from({ length: 200 }, () => fx.placement.claimResources({
        consumerUuid: crypto.randomUUID(), projectId: 'p', userId: 'u', allocations: { [rp]: { resources: { VCPU: 1 } } },
      })));
      assert.equal(results.filter(Boolean).length, capacity);
      assert.deepEqual(await fx.placement.getProviderUsages(rp), { VCPU: capacity });
      const rpAllocs = await fx.placement.getProviderAllocations(rp);
      assert.equal(Object.keys(rpAllocs.allocations).length, capacity);
    });

    test('200 concurrent claims of new consumers on one provider never oversubscribe', async () => {
      const capacity = 50;
      const rp = await providerWith(fx.placement, { VCPU: { total: capacity } });
      const results = await Promise.all(Array.from({ length: 200 }, () => fx.placement.claimResources({
        consumerUuid: crypto.randomUUID(), projectId: 'p', userId: 'u', consumerGeneration: null, allocations: { [rp]: { resources: { VCPU: 1 } } },
      })));
      assert.equal(results.filter(Boolean).length, capacity);
      assert.deepEqual(await fx.placement.getProviderUsages(rp), { VCPU: capacity });
      assert.equal(Object.keys((await fx.placement.getProviderAllocations(rp)).allocations).length, capacity);
    });

    test('concurrent claims and releases keep usage exact', async () => {
      const rp = await providerWith(fx.placement, { VCPU: { total: 10 } });
      const held = Array.from({ length: 10 }, () => crypto.randomUUID());
      for (const c of held) await fx.placement.claimResources({ consumerUuid: c, projectId: 'p', userId: 'u', allocations: { [rp]: { resources: { VCPU: 1 } } } });
      const newcomers = Array.from({ length: 40 }, () => crypto.randomUUID());
      const [, results] = await Promise.all([
        Promise.all(held.map((c) => fx.placement.deleteAllocations(c))),
        Promise.all(newcomers.map((c) => fx.placement.claimResources({ consumerUuid: c, projectId: 'p', userId: 'u', allocations: { [rp]: { resources: { VCPU: 1 } } } }))),
      ]);
      const won = results.filter(Boolean).length;
      assert.ok(won <= 10);
      assert.deepEqual(await fx.placement.getProviderUsages(rp), { VCPU: won });
      // The kept usage matches the allocation rows themselves.
      const rows = await fx.placement.getProviderAllocations(rp);
      assert.equal(Object.values(rows.allocations).reduce((n, a) => n + (a.resources.VCPU ?? 0), 0), won);
    });
  });
}
