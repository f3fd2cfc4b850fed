import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildComputeApi, targets, type TestApi } from './app.js';

for (const target of targets) {
  describe(`compute version documents (${target.name})`, () => {
    let api: TestApi;
    before(async () => { api = await buildComputeApi(target); });
    after(async () => api.close());

    test('GET /compute/ lists v2.0 SUPPORTED and v2.1 CURRENT 2.1..2.96 without a token', async () => {
      for (const url of ['/compute', '/compute/']) {
        const res = await api.app.inject({ method: 'GET', url, headers: { host: 'cloud.example:8774' } });
        assert.equal(res.statusCode, 200, url);
        const { versions } = res.json();
        assert.deepEqual(versions.map((v: { id: string; status: string }) => [v.id, v.status]), [['v2.0', 'SUPPORTED'], ['v2.1', 'CURRENT']]);
        const v21 = versions[1];
        assert.equal(v21.version, '2.96');
        assert.equal(v21.min_version, '2.1');
        assert.deepEqual(v21.links, [{ rel: 'self', href: 'http://cloud.example:8774/compute/v2.1/' }]);
        assert.equal(versions[0].links[0].href, 'http://cloud.example:8774/compute/v2/');
      }
    });

    test('GET /compute/v2.1 is the single version document keystoneauth reads', async () => {
      const res = await api.app.inject({ method: 'GET', url: '/compute/v2.1', headers: { host: 'cloud.example:8774' } });
      assert.equal(res.statusCode, 200);
      const { version } = res.json();
      assert.equal(version.id, 'v2.1');
      assert.equal(version.status, 'CURRENT');
      assert.equal(version.version, '2.96');
      assert.equal(version.min_version, '2.1');
      assert.equal(version.links[0].rel, 'self');
      assert.equal(version.links[0].href, 'http://cloud.example:8774/compute/v2.1/');
      assert.deepEqual(version['media-types'], [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }]);
      assert.equal((await api.app.inject({ method: 'GET', url: '/compute/v2.1/' })).statusCode, 200);
    });

    test('GET /compute/v2/, the link GET /compute/ gives for v2.0, is the v2.0 document', async () => {
      const res = await api.app.inject({ method: 'GET', url: '/compute/v2/', headers: { host: 'cloud.example:8774' } });
      assert.equal(res.statusCode, 200);
      const { version } = res.json();
      assert.deepEqual([version.id, version.status, version.version, version.min_version], ['v2.0', 'SUPPORTED', '', '']);
      assert.equal(version.links[0].href, 'http://cloud.example:8774/compute/v2/');
      assert.deepEqual(version['media-types'], [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2' }]);
    });

    test('unknown paths are 404 in the compute error style', async () => {
      const res = await api.app.inject({ method: 'GET', url: '/compute/v2.1/nothing-here', headers: { 'x-auth-token': 'admin-token' } });
      assert.equal(res.statusCode, 404);
      assert.equal(res.json().itemNotFound.code, 404);
    });
  });
}
