/** os-server-groups: views per microversion, rules, quota, listing scope and policy. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_AUTH } from '../helpers/auth.js';
import { headers, targets, type TestApi } from './app.js';
import { buildResourcesApi } from './resources-app.js';

for (const target of targets) {
  describe(`server groups (${target.name})`, () => {
    let api: TestApi;
    before(async () => {
      api = await buildResourcesApi(target, { quota: { server_groups: 6 } });
    });
    after(async () => api.close());

    const call = (method: 'GET' | 'POST' | 'DELETE', url: string, who: 'admin' | 'demo' | 'other' | 'reader', version?: string, body?: unknown) =>
      api.app.inject({ method, url: `/compute/v2.1${url}`, headers: headers(who, version), ...(body !== undefined ? { payload: body as object } : {}) });
    const create = (body: unknown, version?: string, who: 'admin' | 'demo' | 'other' | 'reader' = 'demo') => call('POST', '/os-server-groups', who, version, body);

    test('2.1: policies, members and metadata; hard policies only', async () => {
      const res = await create({ server_group: { name: 'web', policies: ['anti-affinity'] } });
      assert.equal(res.statusCode, 200, res.body);
      const g = res.json().server_group;
      assert.deepEqual(Object.keys(g).sort(), ['id', 'members', 'metadata', 'name', 'policies']);
      assert.deepEqual(g.policies, ['anti-affinity']);
      assert.deepEqual(g.members, []);
      const soft = await create({ server_group: { name: 'x', policies: ['soft-affinity'] } });
      assert.equal(soft.statusCode, 400);
      assert.match(soft.json().badRequest.message, /^Invalid input for field\/attribute/);
      assert.equal((await create({ server_group: { name: 'x', policies: ['affinity', 'anti-affinity'] } })).statusCode, 400);
    });

    test('2.15 takes soft policies; 2.13 shows the owner', async () => {
      const res = await create({ server_group: { name: 'soft', policies: ['soft-anti-affinity'] } }, '2.15');
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().server_group.project_id, TEST_AUTH.demo.projectId);
      assert.equal(res.json().server_group.user_id, TEST_AUTH.demo.userId);
    });

    test('2.64: policy and rules; rules only for anti-affinity', async () => {
      const res = await create({ server_group: { name: 'r', policy: 'anti-affinity', rules: { max_server_per_host: 2 } } }, '2.64');
      assert.equal(res.statusCode, 200, res.body);
      const g = res.json().server_group;
      assert.deepEqual(Object.keys(g).sort(), ['id', 'members', 'name', 'policy', 'project_id', 'rules', 'user_id']);
      assert.deepEqual(g.rules, { max_server_per_host: 2 });
      const show = await call('GET', `/os-server-groups/${g.id}`, 'demo', '2.1');
      assert.deepEqual(show.json().server_group.policies, ['anti-affinity']);
      const bad = await create({ server_group: { name: 'r', policy: 'affinity', rules: { max_server_per_host: 2 } } }, '2.64');
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().badRequest.message, 'Only anti-affinity policy supports rules.');
      assert.equal((await create({ server_group: { name: 'r', policy: 'anti-affinity', rules: { max_server_per_host: 0 } } }, '2.64')).statusCode, 400);
      assert.equal((await create({ server_group: { name: 'r', policies: ['affinity'] } }, '2.64')).statusCode, 400);
    });

    test('list is the project\'s; all_projects for admins; limit and offset', async () => {
      await create({ server_group: { name: 'theirs', policies: ['affinity'] } }, undefined, 'other');
      const mine = (await call('GET', '/os-server-groups', 'demo')).json().server_groups;
      assert.ok(mine.length >= 3 && mine.every((g: any) => g.name !== 'theirs'));
      const demoAll = (await call('GET', '/os-server-groups?all_projects=True', 'demo')).json().server_groups;
      assert.equal(demoAll.length, mine.length);
      const all = (await call('GET', '/os-server-groups?all_projects=True', 'admin')).json().server_groups;
      assert.ok(all.some((g: any) => g.name === 'theirs'));
      const page = (await call('GET', '/os-server-groups?limit=1&offset=1', 'demo')).json().server_groups;
      assert.deepEqual(page.map((g: any) => g.id), [mine[1].id]);
      assert.equal((await call('GET', '/os-server-groups?limit=-1', 'demo')).statusCode, 400);
      assert.equal((await call('GET', '/os-server-groups?bogus=1', 'demo', '2.75')).statusCode, 400);
    });

    test('show and delete: 404 for an unknown group, 403 for another project, readers read but do not delete', async () => {
      const g = (await create({ server_group: { name: 'gone', policies: ['affinity'] } })).json().server_group;
      assert.equal((await call('GET', `/os-server-groups/${g.id}`, 'reader')).statusCode, 200);
      assert.equal((await call('GET', `/os-server-groups/${g.id}`, 'other')).statusCode, 403);
      assert.equal((await call('DELETE', `/os-server-groups/${g.id}`, 'reader')).statusCode, 403);
      assert.equal((await call('DELETE', `/os-server-groups/${g.id}`, 'other')).statusCode, 403);
      assert.equal((await create({ server_group: { name: 'x', policies: ['affinity'] } }, undefined, 'reader')).statusCode, 403);
      assert.equal((await call('DELETE', `/os-server-groups/${g.id}`, 'demo')).statusCode, 204);
      const missing = await call('GET', `/os-server-groups/${g.id}`, 'demo');
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().itemNotFound.message, `Instance group ${g.id} could not be found.`);
    });

    test('the server_groups quota is counted per project', async () => {
      const have = (await call('GET', '/os-server-groups', 'demo')).json().server_groups.length;
      for (let i = have; i < 6; i++) assert.equal((await create({ server_group: { name: `q${i}`, policies: ['affinity'] } })).statusCode, 200);
      const over = await create({ server_group: { name: 'over', policies: ['affinity'] } });
      assert.equal(over.statusCode, 403);
      assert.equal(over.json().forbidden.message, 'Quota exceeded, too many server groups.');
      assert.equal((await call('GET', '/limits', 'demo')).json().limits.absolute.totalServerGroupsUsed, 6);
    });
  });
}
