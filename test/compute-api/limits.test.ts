import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_AUTH } from '../helpers/auth.js';
import { buildComputeApi, headers, seedInstance, targets, type TestApi } from './app.js';

for (const target of targets) {
  describe(`limits (${target.name})`, () => {
    let api: TestApi;
    before(async () => {
      api = await buildComputeApi(target, { quota: { instances: 7, cores: 12, ram: 4096, key_pairs: 9, metadata_items: 33 } });
      await seedInstance(api.db, { projectId: TEST_AUTH.demo.projectId, vcpus: 2, ram: 1024 });
      await seedInstance(api.db, { projectId: TEST_AUTH.demo.projectId, vcpus: 1, ram: 512 });
      await seedInstance(api.db, { projectId: TEST_AUTH.other.projectId, vcpus: 4, ram: 2048 });
    });
    after(async () => api.close());

    const limits = (who: 'admin' | 'demo' | 'other', version?: string, query = '') =>
      api.app.inject({ method: 'GET', url: `/compute/v2.1/limits${query}`, headers: headers(who, version) });

    test('2.1 shows every absolute limit Nova shows, with the project\'s usage', async () => {
      const res = await limits('demo');
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), {
        limits: {
          rate: [],
          absolute: {
            maxImageMeta: 33, maxPersonality: 5, maxPersonalitySize: 10240, maxSecurityGroupRules: -1, maxSecurityGroups: -1,
            maxServerMeta: 33, maxTotalCores: 12, maxTotalFloatingIps: -1, maxTotalInstances: 7, maxTotalKeypairs: 9,
            maxTotalRAMSize: 4096, maxServerGroups: 10, maxServerGroupMembers: 10,
            totalCoresUsed: 3, totalInstancesUsed: 2, totalRAMUsed: 1536,
            totalSecurityGroupsUsed: 0, totalFloatingIpsUsed: 0, totalServerGroupsUsed: 0,
          },
        },
      });
    });

    test('2.36 drops network limits, 2.39 maxImageMeta, 2.57 personality', async () => {
      const keys = async (v: string) => Object.keys((await limits('demo', v)).json().limits.absolute).sort();
      const v236 = await keys('2.36');
      assert.ok(!v236.includes('maxSecurityGroups') && !v236.includes('totalFloatingIpsUsed') && v236.includes('maxImageMeta'));
      const v239 = await keys('2.39');
      assert.ok(!v239.includes('maxImageMeta') && v239.includes('maxPersonality'));
      assert.deepEqual(await keys('2.57'), [
        'maxServerGroupMembers', 'maxServerGroups', 'maxServerMeta', 'maxTotalCores', 'maxTotalInstances', 'maxTotalKeypairs',
        'maxTotalRAMSize', 'totalCoresUsed', 'totalInstancesUsed', 'totalRAMUsed', 'totalServerGroupsUsed',
      ]);
    });

    test('tenant_id shows another project for admins only', async () => {
      const res = await limits('admin', undefined, `?tenant_id=${TEST_AUTH.other.projectId}`);
      assert.equal(res.json().limits.absolute.totalCoresUsed, 4);
      const denied = await limits('demo', undefined, `?tenant_id=${TEST_AUTH.other.projectId}`);
      assert.equal(denied.statusCode, 403);
      assert.equal(denied.json().forbidden.message, "Policy doesn't allow os_compute_api:limits:other_project to be performed.");
      assert.equal((await limits('demo', '2.75', '?bogus=1')).statusCode, 400);
      assert.equal((await limits('demo', '2.74', '?bogus=1')).statusCode, 200);
    });
  });
}
