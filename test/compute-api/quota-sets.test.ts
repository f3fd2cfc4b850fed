/** os-quota-sets and os-quota-class-sets: layers of limits, shapes per microversion, settable ranges, policy. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_AUTH } from '../helpers/auth.js';
import { headers, seedInstance, targets, type TestApi } from './app.js';
import { buildResourcesApi } from './resources-app.js';

const DEMO = TEST_AUTH.demo.projectId;

for (const target of targets) {
  describe(`quota sets (${target.name})`, () => {
    let api: TestApi;
    before(async () => {
      api = await buildResourcesApi(target, { quota: { instances: 10, cores: 20, ram: 51200 } });
      await seedInstance(api.db, { projectId: DEMO, vcpus: 2, ram: 1024 });
    });
    after(async () => api.close());

    const call = (method: 'GET' | 'PUT' | 'DELETE', url: string, who: 'admin' | 'demo' | 'other' | 'reader', version?: string, body?: unknown) =>
      api.app.inject({ method, url: `/compute/v2.1${url}`, headers: headers(who, version), ...(body !== undefined ? { payload: body as object } : {}) });

    test('show has every resource at 2.1, without network ones at 2.36 and personality ones at 2.57', async () => {
      const res = await call('GET', `/os-quota-sets/${DEMO}`, 'demo');
      assert.equal(res.statusCode, 200);
      const qs = res.json().quota_set;
      assert.equal(qs.id, DEMO);
      assert.equal(qs.instances, 10);
      assert.equal(qs.server_groups, 10);
      for (const k of ['floating_ips', 'fixed_ips', 'security_groups', 'security_group_rules', 'injected_files']) assert.ok(k in qs, k);
      const v236 = (await call('GET', `/os-quota-sets/${DEMO}`, 'demo', '2.36')).json().quota_set;
      assert.ok(!('floating_ips' in v236) && 'injected_files' in v236);
      const v257 = (await call('GET', `/os-quota-sets/${DEMO}`, 'demo', '2.57')).json().quota_set;
      assert.deepEqual(Object.keys(v257).sort(), ['cores', 'id', 'instances', 'key_pairs', 'metadata_items', 'ram', 'server_group_members', 'server_groups']);
    });

    test('detail counts what is in use', async () => {
      const qs = (await call('GET', `/os-quota-sets/${DEMO}/detail`, 'demo', '2.57')).json().quota_set;
      assert.deepEqual(qs.cores, { limit: 20, in_use: 2, reserved: 0 });
      assert.deepEqual(qs.instances, { limit: 10, in_use: 1, reserved: 0 });
    });

    test('an admin update changes the project limits, /limits and nothing of another project; delete reverts', async () => {
      const res = await call('PUT', `/os-quota-sets/${DEMO}`, 'admin', '2.57', { quota_set: { instances: 3, cores: '7' } });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().quota_set.instances, 3);
      assert.equal(res.json().quota_set.cores, 7);
      assert.ok(!('id' in res.json().quota_set));
      const limits = (await call('GET', '/limits', 'demo')).json().limits.absolute;
      assert.equal(limits.maxTotalInstances, 3);
      assert.equal(limits.maxTotalCores, 7);
      assert.equal((await call('GET', `/os-quota-sets/${TEST_AUTH.other.projectId}`, 'other')).json().quota_set.instances, 10);
      assert.equal((await call('DELETE', `/os-quota-sets/${DEMO}`, 'admin')).statusCode, 202);
      assert.equal((await call('GET', `/os-quota-sets/${DEMO}`, 'demo')).json().quota_set.instances, 10);
    });

    test('a limit below what is in use is refused unless forced', async () => {
      const res = await call('PUT', `/os-quota-sets/${DEMO}`, 'admin', undefined, { quota_set: { cores: 1 } });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().badRequest.message, 'Quota limit 1 for cores must be greater than or equal to already used and reserved 2.');
      const forced = await call('PUT', `/os-quota-sets/${DEMO}`, 'admin', undefined, { quota_set: { cores: 1, force: 'True' } });
      assert.equal(forced.statusCode, 200);
      await call('DELETE', `/os-quota-sets/${DEMO}`, 'admin');
    });

    test('user quotas: within the project limit, shown with ?user_id, reverted alone', async () => {
      const user = TEST_AUTH.demo.userId;
      const set = await call('PUT', `/os-quota-sets/${DEMO}?user_id=${user}`, 'admin', undefined, { quota_set: { instances: 4 } });
      assert.equal(set.statusCode, 200, set.body);
      assert.equal((await call('GET', `/os-quota-sets/${DEMO}?user_id=${user}`, 'demo')).json().quota_set.instances, 4);
      assert.equal((await call('GET', `/os-quota-sets/${DEMO}`, 'demo')).json().quota_set.instances, 10);
      const over = await call('PUT', `/os-quota-sets/${DEMO}?user_id=${user}`, 'admin', undefined, { quota_set: { instances: 11 } });
      assert.equal(over.statusCode, 400);
      assert.match(over.json().badRequest.message, /must be less than or equal to 10/);
      await call('DELETE', `/os-quota-sets/${DEMO}?user_id=${user}`, 'admin');
      assert.equal((await call('GET', `/os-quota-sets/${DEMO}?user_id=${user}`, 'demo')).json().quota_set.instances, 10);
    });

    test('bodies are checked as Nova checks them', async () => {
      const unknown = await call('PUT', `/os-quota-sets/${DEMO}`, 'admin', undefined, { quota_set: { bogus: 1 } });
      assert.equal(unknown.statusCode, 400);
      assert.match(unknown.json().badRequest.message, /Additional properties are not allowed \('bogus' was unexpected\)/);
      assert.equal((await call('PUT', `/os-quota-sets/${DEMO}`, 'admin', undefined, { quota_set: { instances: -2 } })).statusCode, 400);
      assert.equal((await call('PUT', `/os-quota-sets/${DEMO}`, 'admin', undefined, { quota_set: { instances: '99999999999' } })).statusCode, 400);
      assert.equal((await call('PUT', `/os-quota-sets/${DEMO}`, 'admin', '2.36', { quota_set: { floating_ips: 1 } })).statusCode, 400);
      const networks = await call('PUT', `/os-quota-sets/${DEMO}`, 'admin', undefined, { quota_set: { networks: 1 } });
      assert.equal(networks.json().badRequest.message, 'The networks quota has been removed');
      assert.equal((await call('GET', `/os-quota-sets/${DEMO}?bogus=1`, 'demo', '2.75')).statusCode, 400);
    });

    test('policy: members and readers read their own, not another project\'s; only admins write', async () => {
      assert.equal((await call('GET', `/os-quota-sets/${DEMO}`, 'reader')).statusCode, 200);
      assert.equal((await call('GET', `/os-quota-sets/${DEMO}`, 'other')).statusCode, 403);
      assert.equal((await call('GET', `/os-quota-sets/${DEMO}/detail`, 'other')).statusCode, 403);
      assert.equal((await call('GET', `/os-quota-sets/${DEMO}/defaults`, 'other')).statusCode, 200);
      assert.equal((await call('PUT', `/os-quota-sets/${DEMO}`, 'demo', undefined, { quota_set: { instances: 1 } })).statusCode, 403);
      assert.equal((await call('DELETE', `/os-quota-sets/${DEMO}`, 'demo')).statusCode, 403);
    });

    test('the default quota class sets every project\'s defaults; its view drops server groups before 2.50', async () => {
      const old = (await call('GET', '/os-quota-class-sets/default', 'admin')).json().quota_class_set;
      assert.equal(old.id, 'default');
      assert.ok(!('server_groups' in old) && 'floating_ips' in old);
      const res = await call('PUT', '/os-quota-class-sets/default', 'admin', '2.57', { quota_class_set: { instances: 6, server_groups: 2 } });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().quota_class_set.instances, 6);
      assert.ok(!('id' in res.json().quota_class_set));
      assert.equal((await call('GET', `/os-quota-sets/${DEMO}/defaults`, 'demo')).json().quota_set.instances, 6);
      assert.equal((await call('GET', `/os-quota-sets/${DEMO}`, 'demo')).json().quota_set.instances, 6);
      assert.equal((await call('GET', '/limits', 'demo')).json().limits.absolute.maxServerGroups, 2);
      assert.equal((await call('PUT', '/os-quota-class-sets/default', 'admin', '2.50', { quota_class_set: { floating_ips: 1 } })).statusCode, 400);
      assert.equal((await call('GET', '/os-quota-class-sets/default', 'demo')).statusCode, 403);
      assert.equal((await call('PUT', '/os-quota-class-sets/default', 'demo', undefined, { quota_class_set: { instances: 1 } })).statusCode, 403);
      await call('PUT', '/os-quota-class-sets/default', 'admin', '2.57', { quota_class_set: { instances: 10, server_groups: 10 } });
    });
  });
}
