/** /servers/{id}/tags, /ips, /os-server-password and /extensions, with policy for admin, member, reader and another project. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_AUTH } from '../helpers/auth.js';
import { headers, seedInstance, targets, type TestApi } from './app.js';
import { buildResourcesApi } from './resources-app.js';
import { setPasswordOnce } from '../../src/compute/server-password.js';

const NETWORK_INFO = JSON.stringify([{
  address: 'fa:16:3e:00:00:01',
  network: { label: 'private', subnets: [{ ips: [{ address: '10.0.0.5', version: 4, type: 'fixed' }] }, { ips: [{ address: 'fd00::5', version: 6, type: 'fixed' }] }] },
}]);

for (const target of targets) {
  describe(`server tags, ips, password, extensions (${target.name})`, () => {
    let api: TestApi;
    let server: string;
    before(async () => {
      api = await buildResourcesApi(target);
      server = await seedInstance(api.db, { projectId: TEST_AUTH.demo.projectId, host: 'h1' });
      await api.db.updateTable('instances').set({ network_info: NETWORK_INFO }).where('uuid', '=', server).execute();
    });
    after(async () => api.close());

    const call = (method: 'GET' | 'PUT' | 'DELETE', url: string, who: 'admin' | 'demo' | 'other' | 'reader', version = '2.26', body?: unknown) =>
      api.app.inject({ method, url: `/compute/v2.1${url}`, headers: headers(who, version), ...(body !== undefined ? { payload: body as object } : {}) });

    test('tags: replace, add one (201 then 204), check, delete one and all', async () => {
      const put = await call('PUT', `/servers/${server}/tags`, 'demo', '2.26', { tags: ['b', 'a', 'a'] });
      assert.equal(put.statusCode, 200, put.body);
      assert.deepEqual(put.json(), { tags: ['a', 'b'] });
      const added = await call('PUT', `/servers/${server}/tags/c`, 'demo');
      assert.equal(added.statusCode, 201);
      assert.match(String(added.headers.location), new RegExp(`/compute/v2.1/servers/${server}/tags/c$`));
      assert.equal((await call('PUT', `/servers/${server}/tags/c`, 'demo')).statusCode, 204);
      assert.deepEqual((await call('GET', `/servers/${server}/tags`, 'reader')).json(), { tags: ['a', 'b', 'c'] });
      assert.equal((await call('GET', `/servers/${server}/tags/a`, 'demo')).statusCode, 204);
      assert.equal((await call('GET', `/servers/${server}/tags/zz`, 'demo')).statusCode, 404);
      assert.equal((await call('DELETE', `/servers/${server}/tags/a`, 'demo')).statusCode, 204);
      assert.equal((await call('DELETE', `/servers/${server}/tags/a`, 'demo')).statusCode, 404);
      assert.equal((await call('DELETE', `/servers/${server}/tags`, 'demo')).statusCode, 204);
      assert.deepEqual((await call('GET', `/servers/${server}/tags`, 'demo')).json(), { tags: [] });
    });

    test('tags: none before 2.26; bad tags and more than 50 are 400', async () => {
      assert.equal((await call('GET', `/servers/${server}/tags`, 'demo', '2.25')).statusCode, 404);
      const comma = await call('PUT', `/servers/${server}/tags`, 'demo', '2.26', { tags: ['a,b'] });
      assert.equal(comma.statusCode, 400);
      assert.match(comma.json().badRequest.message, /^Invalid input for field\/attribute/);
      assert.equal((await call('PUT', `/servers/${server}/tags`, 'demo', '2.26', { tags: Array.from({ length: 51 }, (_, i) => `t${i}`) })).statusCode, 400);
      assert.equal((await call('PUT', `/servers/${server}/tags/${'x'.repeat(61)}`, 'demo')).statusCode, 400);
      await call('PUT', `/servers/${server}/tags`, 'demo', '2.26', { tags: Array.from({ length: 50 }, (_, i) => `t${i}`) });
      const full = await call('PUT', `/servers/${server}/tags/one-more`, 'demo');
      assert.equal(full.statusCode, 400);
      assert.equal(full.json().badRequest.message, 'The number of tags exceeded the per-server limit 50');
      await call('DELETE', `/servers/${server}/tags`, 'demo');
    });

    test('tags: 409 while the server is busy', async () => {
      await api.db.updateTable('instances').set({ task_state: 'rebooting' }).where('uuid', '=', server).execute();
      try {
        const res = await call('PUT', `/servers/${server}/tags/x`, 'demo');
        assert.equal(res.statusCode, 409);
      } finally {
        await api.db.updateTable('instances').set({ task_state: null }).where('uuid', '=', server).execute();
      }
    });

    test('tags policy: readers read, do not write; another project sees no server', async () => {
      assert.equal((await call('PUT', `/servers/${server}/tags/x`, 'reader')).statusCode, 403);
      assert.equal((await call('DELETE', `/servers/${server}/tags`, 'reader')).statusCode, 403);
      assert.equal((await call('GET', `/servers/${server}/tags`, 'other')).statusCode, 404);
      assert.equal((await call('PUT', `/servers/${server}/tags/x`, 'admin')).statusCode, 201);
    });

    test('ips: every network with version and addr; one network by label; 404 for another', async () => {
      const all = await call('GET', `/servers/${server}/ips`, 'reader', '2.1');
      assert.equal(all.statusCode, 200);
      assert.deepEqual(all.json(), { addresses: { private: [{ version: 4, addr: '10.0.0.5' }, { version: 6, addr: 'fd00::5' }] } });
      assert.deepEqual((await call('GET', `/servers/${server}/ips/private`, 'demo', '2.1')).json(), { private: [{ version: 4, addr: '10.0.0.5' }, { version: 6, addr: 'fd00::5' }] });
      const missing = await call('GET', `/servers/${server}/ips/public`, 'demo', '2.1');
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().itemNotFound.message, 'Instance is not a member of specified network');
      assert.equal((await call('GET', `/servers/${server}/ips/toString`, 'demo', '2.1')).statusCode, 404);
      assert.equal((await call('GET', `/servers/${server}/ips`, 'other', '2.1')).statusCode, 404);
    });

    test('password: empty until the guest sets one; readers read, members clear', async () => {
      assert.deepEqual((await call('GET', `/servers/${server}/os-server-password`, 'demo', '2.1')).json(), { password: '' });
      assert.equal(await setPasswordOnce(api.db, server, 'c2VjcmV0'), true);
      assert.equal(await setPasswordOnce(api.db, server, 'other'), false);
      assert.deepEqual((await call('GET', `/servers/${server}/os-server-password`, 'reader', '2.1')).json(), { password: 'c2VjcmV0' });
      assert.equal((await call('DELETE', `/servers/${server}/os-server-password`, 'reader', '2.1')).statusCode, 403);
      assert.equal((await call('DELETE', `/servers/${server}/os-server-password`, 'other', '2.1')).statusCode, 404);
      assert.equal((await call('DELETE', `/servers/${server}/os-server-password`, 'demo', '2.1')).statusCode, 204);
      assert.deepEqual((await call('GET', `/servers/${server}/os-server-password`, 'demo', '2.1')).json(), { password: '' });
    });

    test('extensions: the list, one by alias, 404 for an unknown alias', async () => {
      const list = await call('GET', '/extensions', 'reader', '2.1');
      assert.equal(list.statusCode, 200);
      const aliases = list.json().extensions.map((e: any) => e.alias);
      for (const a of ['os-quota-sets', 'os-server-groups', 'os-server-password', 'os-keypairs', 'os-aggregates', 'os-hosts', 'os-consoles']) assert.ok(aliases.includes(a), a);
      assert.deepEqual(aliases, [...aliases].sort(), 'sorted by alias, as Nova lists them');
      assert.ok(list.json().extensions.some((e: any) => e.name === 'Hosts'));
      for (const e of list.json().extensions) assert.deepEqual(Object.keys(e).sort(), ['alias', 'description', 'links', 'name', 'namespace', 'updated']);
      const one = await call('GET', '/extensions/os-server-groups', 'demo', '2.1');
      assert.equal(one.json().extension.name, 'ServerGroups');
      assert.equal((await call('GET', '/extensions/os-networks', 'demo', '2.1')).statusCode, 404);
      assert.equal((await call('GET', '/extensions/toString', 'demo', '2.1')).statusCode, 404);
    });
  });
}
