import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../helpers/databases.js';
import { openPlacement, providerWith, type PlacementFixture } from './fixture.js';

for (const target of await databaseTargets()) {
  describe(`placement allocation candidates (${target.name})`, () => {
    let fx: PlacementFixture;
    let big: string; let small: string; let ssd: string; let stepped: string;
    const aggA = crypto.randomUUID();
    const aggB = crypto.randomUUID();
    before(async () => {
      fx = await openPlacement(target);
      await fx.placement.ensureTrait('CUSTOM_GOLD');
      big = await providerWith(fx.placement, { VCPU: { total: 16 }, MEMORY_MB: { total: 32768 }, DISK_GB: { total: 500 } }, { traits: ['HW_CPU_X86_AVX2', 'COMPUTE_NODE'], aggregates: [aggA] });
      small = await providerWith(fx.placement, { VCPU: { total: 2 }, MEMORY_MB: { total: 2048, reserved: 1024 }, DISK_GB: { total: 20 } }, { traits: ['COMPUTE_NODE'], aggregates: [aggB] });
      ssd = await providerWith(fx.placement, { VCPU: { total: 4, allocation_ratio: 4 }, MEMORY_MB: { total: 8192 }, DISK_GB: { total: 100 } }, { traits: ['COMPUTE_NODE', 'STORAGE_DISK_SSD', 'CUSTOM_GOLD'], aggregates: [aggA, aggB] });
      stepped = await providerWith(fx.placement, { VCPU: { total: 64, step_size: 4 }, MEMORY_MB: { total: 65536, min_unit: 4096 }, DISK_GB: { total: 1000 } });
    });
    after(async () => { await fx.dispose(); });

    const providers = (r: { allocationRequests: { allocations: Record<string, unknown> }[] }) =>
      r.allocationRequests.map((a) => Object.keys(a.allocations)[0]).sort();

    test('only providers with room for every requested class', async () => {
      const r = await fx.placement.getAllocationCandidates({ resources: { VCPU: 2, MEMORY_MB: 2048, DISK_GB: 10 } });
      assert.deepEqual(providers(r), [big, ssd].sort(), 'small has only 1024 MB unreserved; stepped wants MB ≥ 4096');
      const req = r.allocationRequests.find((a) => a.allocations[big]);
      assert.deepEqual(req?.allocations[big]?.resources, { VCPU: 2, MEMORY_MB: 2048, DISK_GB: 10 });
      assert.deepEqual(r.providerSummaries[ssd]?.resources.VCPU, { capacity: 16, used: 0 });
      assert.deepEqual(r.providerSummaries[ssd]?.traits, ['COMPUTE_NODE', 'CUSTOM_GOLD', 'STORAGE_DISK_SSD']);
      assert.equal(r.providerSummaries[ssd]?.rootProviderUuid, ssd);
    });

    test('allocation ratio, step_size and min_unit decide', async () => {
      assert.deepEqual(providers(await fx.placement.getAllocationCandidates({ resources: { VCPU: 12 } })), [big, ssd, stepped].sort());
      assert.deepEqual(providers(await fx.placement.getAllocationCandidates({ resources: { VCPU: 20 } })), [stepped]);
      assert.deepEqual(providers(await fx.placement.getAllocationCandidates({ resources: { VCPU: 17 } })), [], 'off stepped\'s step');
      assert.deepEqual(providers(await fx.placement.getAllocationCandidates({ resources: { VCPU: 68 } })), [], 'beyond every capacity');
      assert.deepEqual(providers(await fx.placement.getAllocationCandidates({ resources: { VCPU: 1 } })), [big, small, ssd].sort(), 'stepped only hands out multiples of 4');
      assert.deepEqual(providers(await fx.placement.getAllocationCandidates({ resources: { MEMORY_MB: 1024 } })), [big, small, ssd].sort());
    });

    test('used capacity is subtracted', async () => {
      const c = crypto.randomUUID();
      assert.equal(await fx.placement.claimResources({ consumerUuid: c, projectId: 'p', userId: 'u', allocations: { [big]: { resources: { VCPU: 10 } } } }), true);
      const r = await fx.placement.getAllocationCandidates({ resources: { VCPU: 8 } });
      assert.deepEqual(providers(r), [ssd, stepped].sort());
      const withBig = await fx.placement.getAllocationCandidates({ resources: { VCPU: 6 } });
      assert.deepEqual(withBig.providerSummaries[big]?.resources.VCPU, { capacity: 16, used: 10 });
      await fx.placement.deleteAllocations(c);
    });

    test('required and forbidden traits', async () => {
      const q = { VCPU: 1 };
      assert.deepEqual(providers(await fx.placement.getAllocationCandidates({ resources: q, required: ['COMPUTE_NODE'] })), [big, small, ssd].sort());
      assert.deepEqual(providers(await fx.placement.getAllocationCandidates({ resources: q, required: ['COMPUTE_NODE', 'CUSTOM_GOLD'] })), [ssd]);
      assert.deepEqual(providers(await fx.placement.getAllocationCandidates({ resources: q, required: ['COMPUTE_NODE', '!STORAGE_DISK_SSD'] })), [big, small].sort());
      assert.deepEqual(providers(await fx.placement.getAllocationCandidates({ resources: q, required: ['in:HW_CPU_X86_AVX2,CUSTOM_GOLD'] })), [big, ssd].sort());
    });

    test('member_of: any of a list, all of the lists, none of the forbidden', async () => {
      const q = { DISK_GB: 1 };
      assert.deepEqual(providers(await fx.placement.getAllocationCandidates({ resources: q, memberOf: [[aggA]] })), [big, ssd].sort());
      assert.deepEqual(providers(await fx.placement.getAllocationCandidates({ resources: q, memberOf: [[aggA, aggB]] })), [big, small, ssd].sort());
      assert.deepEqual(providers(await fx.placement.getAllocationCandidates({ resources: q, memberOf: [[aggA], [aggB]] })), [ssd]);
      assert.deepEqual(providers(await fx.placement.getAllocationCandidates({ resources: q, memberOf: [[`!${aggA}`]] })), [small, stepped].sort());
    });

    test('in_tree and limit', async () => {
      assert.deepEqual(providers(await fx.placement.getAllocationCandidates({ resources: { VCPU: 1 }, inTree: small })), [small]);
      assert.deepEqual(providers(await fx.placement.getAllocationCandidates({ resources: { VCPU: 1 }, inTree: crypto.randomUUID() })), []);
      const limited = await fx.placement.getAllocationCandidates({ resources: { VCPU: 1 }, limit: 2 });
      assert.equal(limited.allocationRequests.length, 2);
      assert.equal(Object.keys(limited.providerSummaries).length, 2);
    });

    test('summaries list every class when asked', async () => {
      const r = await fx.placement.getAllocationCandidates({ resources: { VCPU: 1 }, inTree: big, summarizeAllClasses: true });
      assert.deepEqual(Object.keys(r.providerSummaries[big]!.resources).sort(), ['DISK_GB', 'MEMORY_MB', 'VCPU']);
      const narrow = await fx.placement.getAllocationCandidates({ resources: { VCPU: 1 }, inTree: big });
      assert.deepEqual(Object.keys(narrow.providerSummaries[big]!.resources), ['VCPU']);
    });

    test('a candidate can be claimed as returned', async () => {
      const r = await fx.placement.getAllocationCandidates({ resources: { VCPU: 1, MEMORY_MB: 512 }, limit: 1 });
      assert.equal(await fx.placement.claimResources({ consumerUuid: crypto.randomUUID(), projectId: 'p', userId: 'u', allocations: r.allocationRequests[0]!.allocations }), true);
    });
  });
}
