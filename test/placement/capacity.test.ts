import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../helpers/databases.js';
import { openPlacement, providerWith, type PlacementFixture } from './fixture.js';

const claim = (uuid: string, rp: string, resources: Record<string, number>) => ({
  consumerUuid: uuid, allocations: { [rp]: { resources } }, projectId: 'p1', userId: 'u1',
});

for (const target of await databaseTargets()) {
  describe(`placement capacity arithmetic (${target.name})`, () => {
    let fx: PlacementFixture;
    before(async () => { fx = await openPlacement(target); });
    after(async () => { await fx.dispose(); });

    test('capacity is (total - reserved) × allocation_ratio', async () => {
      const rp = await providerWith(fx.placement, { VCPU: { total: 4, reserved: 1, allocation_ratio: 2.5 } });
      // (4 - 1) × 2.5 = 7.5 → 7 units fit, the 8th does not.
      assert.equal(await fx.placement.claimResources(claim(crypto.randomUUID(), rp, { VCPU: 7 })), true);
      assert.equal(await fx.placement.claimResources(claim(crypto.randomUUID(), rp, { VCPU: 1 })), false);
      assert.deepEqual(await fx.placement.getProviderUsages(rp), { VCPU: 7 });
    });

    test('reserved memory is not handed out', async () => {
      const rp = await providerWith(fx.placement, { MEMORY_MB: { total: 2048, reserved: 512 } });
      assert.equal(await fx.placement.claimResources(claim(crypto.randomUUID(), rp, { MEMORY_MB: 1537 })), false);
      assert.equal(await fx.placement.claimResources(claim(crypto.randomUUID(), rp, { MEMORY_MB: 1536 })), true);
    });

    test('min_unit, max_unit and step_size bound each allocation', async () => {
      const rp = await providerWith(fx.placement, { DISK_GB: { total: 1000, min_unit: 10, max_unit: 100, step_size: 5 } });
      assert.equal(await fx.placement.claimResources(claim(crypto.randomUUID(), rp, { DISK_GB: 5 })), false, 'below min_unit');
      assert.equal(await fx.placement.claimResources(claim(crypto.randomUUID(), rp, { DISK_GB: 105 })), false, 'above max_unit');
      assert.equal(await fx.placement.claimResources(claim(crypto.randomUUID(), rp, { DISK_GB: 12 })), false, 'off step');
      assert.equal(await fx.placement.claimResources(claim(crypto.randomUUID(), rp, { DISK_GB: 15 })), true);
      assert.deepEqual(await fx.placement.getProviderUsages(rp), { DISK_GB: 15 });
    });

    test('a claim for a class the provider lacks is refused', async () => {
      const rp = await providerWith(fx.placement, { VCPU: { total: 8 } });
      assert.equal(await fx.placement.claimResources(claim(crypto.randomUUID(), rp, { VCPU: 1, MEMORY_MB: 1 })), false);
      assert.deepEqual(await fx.placement.getProviderUsages(rp), { VCPU: 0 });
    });

    test('a claim on an unknown provider is refused, not thrown', async () => {
      assert.equal(await fx.placement.claimResources(claim(crypto.randomUUID(), crypto.randomUUID(), { VCPU: 1 })), false);
    });

    test('replacing a consumer\'s allocation counts its old one as free', async () => {
      const rp = await providerWith(fx.placement, { VCPU: { total: 4 } });
      const c = crypto.randomUUID();
      assert.equal(await fx.placement.claimResources(claim(c, rp, { VCPU: 3 })), true);
      assert.equal(await fx.placement.claimResources(claim(c, rp, { VCPU: 4 })), true);
      assert.deepEqual(await fx.placement.getProviderUsages(rp), { VCPU: 4 });
      const held = await fx.placement.getAllocations(c);
      assert.deepEqual(held.allocations[rp]?.resources, { VCPU: 4 });
      assert.equal(held.projectId, 'p1');
      assert.equal(held.consumerGeneration, 2);
    });

    test('inventory cannot shrink below what is allocated, nor drop an allocated class', async () => {
      const rp = await providerWith(fx.placement, { VCPU: { total: 8 }, MEMORY_MB: { total: 4096 } });
      assert.equal(await fx.placement.claimResources(claim(crypto.randomUUID(), rp, { VCPU: 6, MEMORY_MB: 1024 })), true);
      await assert.rejects(fx.placement.setInventories(rp, { VCPU: { total: 5 }, MEMORY_MB: { total: 4096 } }),
        (err: { status?: number; type?: string }) => err.status === 409 && err.type === 'placement.inventory.inuse');
      await assert.rejects(fx.placement.setInventories(rp, { VCPU: { total: 8 } }),
        (err: { status?: number; type?: string }) => err.status === 409 && err.type === 'placement.inventory.inuse');
      // Ratios count: 4 × 1.5 = 6 still covers the 6 in use.
      const ok = await fx.placement.setInventories(rp, { VCPU: { total: 4, allocation_ratio: 1.5 }, MEMORY_MB: { total: 4096 } });
      assert.equal(ok.inventories.VCPU?.total, 4);
      assert.equal((await fx.placement.getInventories(rp)).inventories.VCPU?.allocation_ratio, 1.5);
    });

    test('a stale inventory generation is a concurrent update conflict', async () => {
      const rp = await providerWith(fx.placement, { VCPU: { total: 8 } });
      const { generation } = await fx.placement.getInventories(rp);
      await fx.placement.setInventories(rp, { VCPU: { total: 16 } }, generation);
      await assert.rejects(fx.placement.setInventories(rp, { VCPU: { total: 32 } }, generation),
        (err: { status?: number; type?: string }) => err.status === 409 && err.type === 'placement.concurrent_update');
      assert.equal((await fx.placement.getInventories(rp)).inventories.VCPU?.total, 16);
    });

    test('invalid inventories are refused with 400', async () => {
      const rp = await providerWith(fx.placement, { VCPU: { total: 8 } });
      for (const bad of [{ total: -1 }, { total: 4, reserved: 5 }, { total: 4, min_unit: 3, max_unit: 2 }, { total: 4, allocation_ratio: 0 }, { total: 1.5 }]) {
        await assert.rejects(fx.placement.setInventories(rp, { VCPU: bad }), (err: { status?: number }) => err.status === 400, JSON.stringify(bad));
      }
      await assert.rejects(fx.placement.setInventories(rp, { CUSTOM_NOPE: { total: 1 } }), (err: { status?: number }) => err.status === 400);
      assert.equal((await fx.placement.getInventories(rp)).inventories.VCPU?.total, 8);
    });
  });
}
