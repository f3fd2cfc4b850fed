/** GET /servers and /servers/detail: filters, sorting, marker pagination, and views per microversion. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { functionalSuite, startFunctionalCloud, type FunctionalCloud } from '../helpers/functional-cloud.js';
import { bootActive, uploadImage, V237 } from './fixtures.js';

describe(...functionalSuite('server listing'), () => {
  let cloud: FunctionalCloud;
  let ids: string[] = [];

  before(async () => {
    cloud = await startFunctionalCloud();
    const image = await uploadImage(cloud);
    for (const name of ['alpha', 'beta', 'gamma', 'delta', 'epsilon']) {
      ids.push((await bootActive(cloud, { name, imageRef: image, flavorRef: '1', networks: 'none' }, 'admin', V237)).id);
    }
  });
  after(async () => cloud?.close());

  test('newest first, paged with limit and marker and a next link', async () => {
    const seen: string[] = [];
    let path = '/compute/v2.1/servers?limit=2';
    for (let i = 0; i < 5 && path; i++) {
      const page = await cloud.request('GET', path);
      assert.equal(page.status, 200);
      seen.push(...page.json.servers.map((s: any) => s.id));
      const next = page.json.servers_links?.find((l: any) => l.rel === 'next')?.href as string | undefined;
      path = next ? next.slice(cloud.url.length) : '';
    }
    assert.deepEqual(seen, [...ids].reverse());
  });

  test('sort by name ascending', async () => {
    const res = await cloud.request('GET', '/compute/v2.1/servers/detail?sort_key=display_name&sort_dir=asc');
    assert.deepEqual(res.json.servers.map((s: any) => s.name), ['alpha', 'beta', 'delta', 'epsilon', 'gamma']);
  });

  test('filters by name (a regular expression) and status', async () => {
    const res = await cloud.request('GET', '/compute/v2.1/servers?name=^(alpha|beta)$');
    assert.deepEqual(res.json.servers.map((s: any) => s.name).sort(), ['alpha', 'beta']);
    assert.equal((await cloud.request('GET', '/compute/v2.1/servers?status=ACTIVE')).json.servers.length, 5);
    assert.equal((await cloud.request('GET', '/compute/v2.1/servers?status=ERROR')).json.servers.length, 0);
  });

  test('the flavor is a link before 2.47 and embedded from 2.47', async () => {
    const old = await cloud.request('GET', `/compute/v2.1/servers/${ids[0]}`);
    assert.equal(old.json.server.flavor.id, '1');
    const v247 = await cloud.request('GET', `/compute/v2.1/servers/${ids[0]}`, { headers: { 'openstack-api-version': 'compute 2.47' } });
    assert.equal(v247.json.server.flavor.original_name, 'm1.tiny');
    assert.equal(v247.json.server.flavor.ram, 512);
    assert.equal(v247.json.server.description, null);
    assert.equal(v247.json.server.locked, false);
  });

  test('the basic list has id, name and links only', async () => {
    const res = await cloud.request('GET', '/compute/v2.1/servers');
    assert.deepEqual(Object.keys(res.json.servers[0]).sort(), ['id', 'links', 'name']);
  });

  test('a listing never shows a stale view: renames, metadata, state and microversion all show at once', async () => {
    const detail = async (headers?: Record<string, string>) => {
      const res = await cloud.request('GET', '/compute/v2.1/servers/detail', { headers });
      assert.equal(res.status, 200);
      return new Map<string, any>(res.json.servers.map((s: any) => [s.id, s]));
    };
    const id = ids[0];
    assert.equal((await detail()).get(id).name, 'alpha');
    assert.equal((await cloud.request('PUT', `/compute/v2.1/servers/${id}`, { body: { server: { name: 'alpha-2' } } })).status, 200);
    assert.equal((await detail()).get(id).name, 'alpha-2');
    assert.equal((await cloud.request('POST', `/compute/v2.1/servers/${id}/metadata`, { body: { metadata: { tier: 'gold' } } })).status, 200);
    assert.deepEqual((await detail()).get(id).metadata, { tier: 'gold' });
    assert.equal((await cloud.request('DELETE', `/compute/v2.1/servers/${id}/metadata/tier`)).status, 204);
    assert.deepEqual((await detail()).get(id).metadata, {});
    assert.equal((await cloud.request('POST', `/compute/v2.1/servers/${id}/action`, { body: { 'os-stop': null } })).status, 202);
    await cloud.waitForServer(id, 'SHUTOFF');
    assert.equal((await detail()).get(id).status, 'SHUTOFF');
    const v247 = await detail({ 'openstack-api-version': 'compute 2.47' });
    assert.equal(v247.get(id).flavor.original_name, 'm1.tiny');
    assert.equal((await detail()).get(id).flavor.id, '1');
    const demo = await cloud.request('GET', '/compute/v2.1/servers/detail', { who: 'demo' });
    assert.deepEqual(demo.json.servers, []);
  });
});
