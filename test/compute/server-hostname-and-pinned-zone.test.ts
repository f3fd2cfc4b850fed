/**
 * 2.90: a server's hostname may be chosen at create, update and rebuild, and
 * every caller sees it; 2.94 lets it be an FQDN; 2.96 shows the zone a
 * server is pinned to.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { functionalSuite, startFunctionalCloud, type FunctionalCloud } from '../helpers/functional-cloud.js';
import { bootActive, createServer, uploadImage, computeVersion as at } from './fixtures.js';

describe(...functionalSuite('server hostname (2.90, 2.94) and pinned availability zone (2.96)'), () => {
  let cloud: FunctionalCloud;
  let image: string;
  before(async () => {
    cloud = await startFunctionalCloud();
    image = await uploadImage(cloud);
  });
  after(async () => cloud?.close());

  const boot = (server: Record<string, unknown>, v: string, who: 'admin' | 'demo' = 'demo') =>
    bootActive(cloud, { imageRef: image, flavorRef: '1', networks: 'none', ...server }, who, at(v));
  const show = async (id: string, v: string, who: 'admin' | 'demo' = 'demo') => {
    const res = await cloud.request('GET', `/compute/v2.1/servers/${id}`, { who, headers: at(v) });
    assert.equal(res.status, 200);
    return res.json.server;
  };

  test('a hostname chosen at create is the guest\'s; a member sees it from 2.90 and not at 2.89', async () => {
    const server = await boot({ name: 'Web Server One', hostname: 'web-01' }, '2.90');
    assert.equal((await show(server.id, '2.90'))['OS-EXT-SRV-ATTR:hostname'], 'web-01');
    assert.ok(!('OS-EXT-SRV-ATTR:hostname' in (await show(server.id, '2.89'))));
    // Without one, the name is made into a DNS label as before.
    const named = await boot({ name: 'Web Server Two' }, '2.90');
    assert.equal((await show(named.id, '2.90'))['OS-EXT-SRV-ATTR:hostname'], 'web-server-two');
    const detail = await cloud.request('GET', '/compute/v2.1/servers/detail', { who: 'demo', headers: at('2.90') });
    assert.ok(detail.json.servers.every((s: any) => typeof s['OS-EXT-SRV-ATTR:hostname'] === 'string'));
  });

  const refused: Array<[string, string, Record<string, unknown>, RegExp]> = [
    ['a hostname before 2.90', '2.89', { hostname: 'web' }, /Additional properties are not allowed \('hostname' was unexpected\)/],
    ['an FQDN at 2.90', '2.90', { hostname: 'web.example.com' }, /hostname/],
    ['a one-letter hostname at 2.90', '2.90', { hostname: 'w' }, /hostname/],
    ['a hostname with a space at 2.94', '2.94', { hostname: 'web one' }, /hostname/],
    ['a hostname for several servers', '2.90', { hostname: 'web', min_count: 2, max_count: 2 }, /single hostname to multiple instances/],
  ];
  for (const [what, v, extra, message] of refused) {
    test(`${what} is a 400 and creates nothing`, async () => {
      const before = (await cloud.request('GET', '/compute/v2.1/servers?all_tenants=1')).json.servers.length;
      const res = await createServer(cloud, { name: 'refused', imageRef: image, flavorRef: '1', networks: 'none', ...extra }, { who: 'demo', headers: at(v) });
      assert.equal(res.status, 400, JSON.stringify(res.json));
      assert.match(res.json.badRequest.message, message);
      assert.equal((await cloud.request('GET', '/compute/v2.1/servers?all_tenants=1')).json.servers.length, before);
    });
  }

  test('2.94 takes an FQDN at create, update and rebuild', async () => {
    const server = await boot({ name: 'fq', hostname: 'fq.example.com' }, '2.94');
    assert.equal((await show(server.id, '2.94'))['OS-EXT-SRV-ATTR:hostname'], 'fq.example.com');
    const updated = await cloud.request('PUT', `/compute/v2.1/servers/${server.id}`, { who: 'demo', headers: at('2.94'), body: { server: { hostname: 'fq2.example.com' } } });
    assert.equal(updated.status, 200, JSON.stringify(updated.json));
    assert.equal(updated.json.server['OS-EXT-SRV-ATTR:hostname'], 'fq2.example.com');
    const rebuilt = await cloud.request('POST', `/compute/v2.1/servers/${server.id}/action`, { who: 'demo', headers: at('2.94'), body: { rebuild: { imageRef: image, hostname: 'fq3.example.com' } } });
    assert.equal(rebuilt.status, 202, JSON.stringify(rebuilt.json));
    assert.equal(rebuilt.json.server['OS-EXT-SRV-ATTR:hostname'], 'fq3.example.com');
    await cloud.waitForServer(server.id, 'ACTIVE', 'demo');
    assert.equal((await show(server.id, '2.94'))['OS-EXT-SRV-ATTR:hostname'], 'fq3.example.com');
  });

  test('update and rebuild refuse a hostname before 2.90 and a bad one at 2.90, changing nothing', async () => {
    const server = await boot({ name: 'keep', hostname: 'keep-me' }, '2.90');
    const old = await cloud.request('PUT', `/compute/v2.1/servers/${server.id}`, { who: 'demo', headers: at('2.89'), body: { server: { hostname: 'other' } } });
    assert.equal(old.status, 400);
    const bad = await cloud.request('PUT', `/compute/v2.1/servers/${server.id}`, { who: 'demo', headers: at('2.90'), body: { server: { hostname: '-bad-' } } });
    assert.equal(bad.status, 400);
    const rebuild = await cloud.request('POST', `/compute/v2.1/servers/${server.id}/action`, { who: 'demo', headers: at('2.90'), body: { rebuild: { imageRef: image, hostname: 'a.b' } } });
    assert.equal(rebuild.status, 400);
    assert.equal((await show(server.id, '2.90'))['OS-EXT-SRV-ATTR:hostname'], 'keep-me');
  });

  test('another project cannot rename a server\'s host', async () => {
    const server = await boot({ name: 'mine', hostname: 'mine' }, '2.90', 'admin');
    const res = await cloud.request('PUT', `/compute/v2.1/servers/${server.id}`, { who: 'demo', headers: at('2.90'), body: { server: { hostname: 'yours' } } });
    assert.equal(res.status, 404);
    assert.equal((await show(server.id, '2.90', 'admin'))['OS-EXT-SRV-ATTR:hostname'], 'mine');
  });

  test('pinned_availability_zone is shown from 2.96: the zone asked for, else null', async () => {
    const pinned = await boot({ name: 'pinned', availability_zone: 'nova' }, '2.96');
    const free = await boot({ name: 'free' }, '2.96');
    assert.equal((await show(pinned.id, '2.96')).pinned_availability_zone, 'nova');
    assert.equal((await show(free.id, '2.96')).pinned_availability_zone, null);
    assert.ok(!('pinned_availability_zone' in (await show(pinned.id, '2.95'))));
    const detail = await cloud.request('GET', '/compute/v2.1/servers/detail', { who: 'demo', headers: at('2.96') });
    const byId = new Map(detail.json.servers.map((s: any) => [s.id, s]));
    assert.equal((byId.get(pinned.id) as any).pinned_availability_zone, 'nova');
    assert.equal((byId.get(free.id) as any).pinned_availability_zone, null);
    const before = await cloud.request('GET', '/compute/v2.1/servers/detail', { who: 'demo', headers: at('2.95') });
    assert.ok(before.json.servers.every((s: any) => !('pinned_availability_zone' in s)));
    const updated = await cloud.request('PUT', `/compute/v2.1/servers/${pinned.id}`, { who: 'demo', headers: at('2.96'), body: { server: { name: 'pinned-2' } } });
    assert.equal(updated.json.server.pinned_availability_zone, 'nova');
    assert.equal((await cloud.request('PUT', `/compute/v2.1/servers/${pinned.id}/tags/blue`, { who: 'demo', headers: at('2.26') })).status, 201);
    const rebuilt = await cloud.request('POST', `/compute/v2.1/servers/${pinned.id}/action`, { who: 'demo', headers: at('2.96'), body: { rebuild: { imageRef: image } } });
    assert.equal(rebuilt.json.server.pinned_availability_zone, 'nova');
    // The rebuild answer is the whole view, as GET's: its real tags and (2.71) its server groups.
    assert.deepEqual(rebuilt.json.server.tags, ['blue']);
    assert.deepEqual(rebuilt.json.server.server_groups, []);
    // An admin's rebuild answer has the extended attributes but user data only as user_data.
    await cloud.waitForServer(pinned.id, 'ACTIVE', 'demo');
    const asAdmin = await cloud.request('POST', `/compute/v2.1/servers/${pinned.id}/action`, { headers: at('2.96'), body: { rebuild: { imageRef: image } } });
    assert.equal(asAdmin.status, 202);
    assert.ok('OS-EXT-SRV-ATTR:host' in asAdmin.json.server);
    assert.ok(!('OS-EXT-SRV-ATTR:user_data' in asAdmin.json.server));
    assert.ok('user_data' in asAdmin.json.server);
    await cloud.waitForServer(pinned.id, 'ACTIVE', 'demo');
  });
});
