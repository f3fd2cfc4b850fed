import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapDefaultFlavors, getFlavorForBoot } from '../../src/compute/flavors.js';
import { ApiError } from '../../src/errors.js';
import { TEST_AUTH } from '../helpers/auth.js';
import { buildComputeApi, headers, targets, type TestApi } from './app.js';

const BASE = '/compute/v2.1';

for (const target of targets) {
  describe(`flavors (${target.name})`, () => {
    let api: TestApi;
    before(async () => {
      api = await buildComputeApi(target);
      await bootstrapDefaultFlavors(api.db);
    });
    after(async () => api.close());

    const get = (url: string, who: 'admin' | 'demo' | 'other' | 'reader' = 'demo', version?: string) =>
      api.app.inject({ method: 'GET', url: BASE + url, headers: headers(who, version) });
    const post = (url: string, payload: unknown, who: 'admin' | 'demo' = 'admin', version?: string) =>
      api.app.inject({ method: 'POST', url: BASE + url, headers: headers(who, version), payload: payload as object });

    test('bootstrap creates Nova\'s five defaults, and again changes nothing', async () => {
      await bootstrapDefaultFlavors(api.db);
      const rows = await api.db.selectFrom('flavors').selectAll().orderBy('flavorid').execute();
      assert.deepEqual(rows.map((r) => [r.flavorid, r.name, r.memory_mb, r.vcpus, r.root_gb]), [
        ['1', 'm1.tiny', 512, 1, 1], ['2', 'm1.small', 2048, 1, 20], ['3', 'm1.medium', 4096, 2, 40],
        ['4', 'm1.large', 8192, 4, 80], ['5', 'm1.xlarge', 16384, 8, 160],
      ]);
    });

    test('list is brief with self and bookmark links built from the request host', async () => {
      const res = await get('/flavors');
      assert.equal(res.statusCode, 200);
      const body = res.json();
      assert.equal(body.flavors.length, 5);
      assert.deepEqual(Object.keys(body.flavors[0]).sort(), ['id', 'links', 'name']);
      assert.deepEqual(body.flavors[0].links, [
        { rel: 'self', href: 'http://localhost:80/compute/v2.1/flavors/1' },
        { rel: 'bookmark', href: 'http://localhost:80/compute/flavors/1' },
      ]);
      assert.equal(body.flavors_links, undefined);
    });

    test('detail at 2.1 shows swap "" and no description or extra specs', async () => {
      const body = (await get('/flavors/detail')).json();
      const tiny = body.flavors.find((f: { id: string }) => f.id === '1');
      assert.equal(tiny.swap, '');
      assert.equal(tiny.ram, 512);
      assert.equal(tiny['OS-FLV-EXT-DATA:ephemeral'], 0);
      assert.equal(tiny['OS-FLV-DISABLED:disabled'], false);
      assert.equal(tiny['os-flavor-access:is_public'], true);
      assert.equal(tiny.rxtx_factor, 1);
      assert.ok(!('description' in tiny));
      assert.ok(!('extra_specs' in tiny));
    });

    test('2.55 adds description, 2.61 extra_specs, 2.75 swap as a number', async () => {
      const v255 = (await get('/flavors/1', 'demo', '2.55')).json().flavor;
      assert.equal(v255.description, null);
      assert.ok(!('extra_specs' in v255));
      assert.equal(v255.swap, '');
      const v261 = (await get('/flavors/1', 'demo', '2.61')).json().flavor;
      assert.deepEqual(v261.extra_specs, {});
      const v275 = (await get('/flavors/1', 'demo', '2.75')).json().flavor;
      assert.equal(v275.swap, 0);
      const brief = (await get('/flavors', 'demo', '2.55')).json().flavors[0];
      assert.ok('description' in brief);
    });

    test('minRam, minDisk, sort and pagination with a next link', async () => {
      const big = (await get('/flavors?minRam=4096&minDisk=80')).json().flavors.map((f: { id: string }) => f.id);
      assert.deepEqual(big, ['4', '5']);
      const desc = (await get('/flavors?sort_key=memory_mb&sort_dir=desc')).json().flavors.map((f: { id: string }) => f.id);
      assert.deepEqual(desc, ['5', '4', '3', '2', '1']);
      const page1 = (await get('/flavors?limit=2')).json();
      assert.deepEqual(page1.flavors.map((f: { id: string }) => f.id), ['1', '2']);
      assert.equal(page1.flavors_links[0].rel, 'next');
      assert.equal(page1.flavors_links[0].href, 'http://localhost:80/compute/v2.1/flavors?limit=2&marker=2');
      const page2 = (await get('/flavors?limit=2&marker=2')).json();
      assert.deepEqual(page2.flavors.map((f: { id: string }) => f.id), ['3', '4']);
      const byRamMarker = (await get('/flavors?sort_key=memory_mb&sort_dir=desc&marker=4')).json();
      assert.deepEqual(byRamMarker.flavors.map((f: { id: string }) => f.id), ['3', '2', '1']);
    });

    test('bad filters are 400s with the compute error body', async () => {
      for (const [url, message] of [
        ['/flavors?marker=nope', 'marker [nope] not found'],
        ['/flavors?minRam=abc', 'Invalid minRam filter [abc]'],
        ['/flavors?minDisk=1.5', 'Invalid minDisk filter [1.5]'],
      ]) {
        const res = await get(url);
        assert.equal(res.statusCode, 400, url);
        assert.deepEqual(res.json(), { badRequest: { code: 400, message } });
      }
      assert.equal((await get('/flavors?limit=-1')).statusCode, 400);
      assert.equal((await get('/flavors?sort_key=bogus')).statusCode, 400);
      assert.equal((await get('/flavors?sort_dir=up')).statusCode, 400);
      assert.equal((await get('/flavors?is_public=maybe', 'admin')).statusCode, 400);
      // Unknown query parameters are ignored before 2.75 and refused from it.
      assert.equal((await get('/flavors?foo=1')).statusCode, 200);
      assert.equal((await get('/flavors?foo=1', 'demo', '2.75')).statusCode, 400);
    });

    test('unknown flavor is 404 itemNotFound', async () => {
      const res = await get('/flavors/does-not-exist');
      assert.equal(res.statusCode, 404);
      assert.deepEqual(res.json(), { itemNotFound: { code: 404, message: 'Flavor does-not-exist could not be found.' } });
    });

    test('admin creates a flavor; the response is Nova\'s show view with status 200', async () => {
      const res = await post('/flavors', {
        flavor: { name: 'custom.one', id: 'c1', ram: '1024', vcpus: 2, disk: 10, 'OS-FLV-EXT-DATA:ephemeral': 5, swap: 512, rxtx_factor: 2.5 },
      });
      assert.equal(res.statusCode, 200, res.body);
      const f = res.json().flavor;
      assert.equal(f.id, 'c1');
      assert.equal(f.ram, 1024);
      assert.equal(f.swap, 512);
      assert.equal(f.rxtx_factor, 2.5);
      assert.equal(f['OS-FLV-EXT-DATA:ephemeral'], 5);
    });

    test('create without id gets a uuid; numeric ids become strings; description from 2.55', async () => {
      const a = (await post('/flavors', { flavor: { name: 'auto-id', ram: 64, vcpus: 1, disk: 0 } })).json().flavor;
      assert.match(a.id, /^[0-9a-f-]{36}$/);
      const b = (await post('/flavors', { flavor: { name: 'num-id', id: 77, ram: 64, vcpus: 1, disk: 0 } })).json().flavor;
      assert.equal(b.id, '77');
      const c = await post('/flavors', { flavor: { name: 'described', ram: 64, vcpus: 1, disk: 0, description: 'small one' } }, 'admin', '2.55');
      assert.equal(c.json().flavor.description, 'small one');
      // Before 2.55 description is an unknown property.
      const d = await post('/flavors', { flavor: { name: 'old', ram: 64, vcpus: 1, disk: 0, description: 'x' } });
      assert.equal(d.statusCode, 400);
      const e = (await post('/flavors', { flavor: { name: 'with-specs', ram: 64, vcpus: 1, disk: 0 } }, 'admin', '2.61')).json().flavor;
      assert.deepEqual(e.extra_specs, {});
    });

    test('create validation follows Nova\'s schema', async () => {
      const cases: unknown[] = [
        { flavor: { name: ' lead', ram: 64, vcpus: 1, disk: 0 } },
        { flavor: { name: 'trail ', ram: 64, vcpus: 1, disk: 0 } },
        { flavor: { name: '', ram: 64, vcpus: 1, disk: 0 } },
        { flavor: { name: 'x'.repeat(256), ram: 64, vcpus: 1, disk: 0 } },
        { flavor: { name: 'zero-ram', ram: 0, vcpus: 1, disk: 0 } },
        { flavor: { name: 'neg-disk', ram: 64, vcpus: 1, disk: -1 } },
        { flavor: { name: 'str-vcpu', ram: 64, vcpus: 'two', disk: 0 } },
        { flavor: { name: 'float-ram', ram: 1.5, vcpus: 1, disk: 0 } },
        { flavor: { name: 'bad-id', id: ' x', ram: 64, vcpus: 1, disk: 0 } },
        { flavor: { name: 'bad-rxtx', ram: 64, vcpus: 1, disk: 0, rxtx_factor: 0 } },
        { flavor: { name: 'bad-public', ram: 64, vcpus: 1, disk: 0, 'os-flavor-access:is_public': 'maybe' } },
        { flavor: { name: 'missing-disk', ram: 64, vcpus: 1 } },
        { flavor: { name: 'extra', ram: 64, vcpus: 1, disk: 0, color: 'red' } },
        { flavors: {} },
        [],
        'text',
        null,
      ];
      for (const payload of cases) {
        const res = await api.app.inject({
          method: 'POST', url: `${BASE}/flavors`, headers: { ...headers('admin'), 'content-type': 'application/json' }, payload: JSON.stringify(payload),
        });
        assert.equal(res.statusCode, 400, JSON.stringify(payload));
        assert.equal(res.json().badRequest.code, 400);
        assert.match(res.json().badRequest.message, /Invalid input/);
      }
    });

    test('malformed JSON is 400, not 500', async () => {
      const res = await api.app.inject({
        method: 'POST', url: `${BASE}/flavors`, headers: { ...headers('admin'), 'content-type': 'application/json' }, payload: '{"flavor": ',
      });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().badRequest.message, 'Malformed request body');
    });

    test('duplicate name or id is 409 with Nova\'s message', async () => {
      const dupName = await post('/flavors', { flavor: { name: 'm1.tiny', ram: 64, vcpus: 1, disk: 0 } });
      assert.equal(dupName.statusCode, 409);
      assert.deepEqual(dupName.json(), { conflictingRequest: { code: 409, message: 'Flavor with name m1.tiny already exists.' } });
      const dupId = await post('/flavors', { flavor: { name: 'fresh', id: '1', ram: 64, vcpus: 1, disk: 0 } });
      assert.equal(dupId.statusCode, 409);
      assert.equal(dupId.json().conflictingRequest.message, 'Flavor with ID 1 already exists.');
    });

    test('demo cannot create, update or delete flavors', async () => {
      const res = await post('/flavors', { flavor: { name: 'mine', ram: 64, vcpus: 1, disk: 0 } }, 'demo');
      assert.equal(res.statusCode, 403);
      assert.deepEqual(res.json(), {
        forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed." },
      });
      const del = await api.app.inject({ method: 'DELETE', url: `${BASE}/flavors/1`, headers: headers('demo') });
      assert.equal(del.statusCode, 403);
      const put = await api.app.inject({ method: 'PUT', url: `${BASE}/flavors/1`, headers: headers('demo', '2.55'), payload: { flavor: { description: 'x' } } });
      assert.equal(put.statusCode, 403);
    });

    test('description update exists only from 2.55', async () => {
      const old = await api.app.inject({ method: 'PUT', url: `${BASE}/flavors/2`, headers: headers('admin', '2.54'), payload: { flavor: { description: 'x' } } });
      assert.equal(old.statusCode, 404);
      const res = await api.app.inject({ method: 'PUT', url: `${BASE}/flavors/2`, headers: headers('admin', '2.55'), payload: { flavor: { description: 'the small one' } } });
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().flavor.description, 'the small one');
      const bad = await api.app.inject({ method: 'PUT', url: `${BASE}/flavors/2`, headers: headers('admin', '2.55'), payload: { flavor: { name: 'x' } } });
      assert.equal(bad.statusCode, 400);
      const missing = await api.app.inject({ method: 'PUT', url: `${BASE}/flavors/nope`, headers: headers('admin', '2.55'), payload: { flavor: { description: null } } });
      assert.equal(missing.statusCode, 404);
    });

    test('delete answers 202 and removes the flavor with its specs', async () => {
      await post('/flavors', { flavor: { name: 'doomed', id: 'doomed', ram: 64, vcpus: 1, disk: 0 } });
      await post('/flavors/doomed/os-extra_specs', { extra_specs: { 'hw:cpu_policy': 'dedicated' } });
      const del = await api.app.inject({ method: 'DELETE', url: `${BASE}/flavors/doomed`, headers: headers('admin') });
      assert.equal(del.statusCode, 202);
      assert.equal((await get('/flavors/doomed')).statusCode, 404);
      const again = await api.app.inject({ method: 'DELETE', url: `${BASE}/flavors/doomed`, headers: headers('admin') });
      assert.equal(again.statusCode, 404);
    });

    test('extra specs: create, show, update, delete, with numbers stored as text', async () => {
      const created = await post('/flavors/3/os-extra_specs', { extra_specs: { 'hw:cpu_policy': 'dedicated', 'quota:cpu_shares': 1024 } });
      assert.equal(created.statusCode, 200);
      assert.deepEqual(created.json(), { extra_specs: { 'hw:cpu_policy': 'dedicated', 'quota:cpu_shares': 1024 } });
      const list = (await get('/flavors/3/os-extra_specs')).json();
      assert.deepEqual(list, { extra_specs: { 'hw:cpu_policy': 'dedicated', 'quota:cpu_shares': '1024' } });
      assert.deepEqual((await get('/flavors/3/os-extra_specs/hw:cpu_policy')).json(), { 'hw:cpu_policy': 'dedicated' });
      const upd = await api.app.inject({ method: 'PUT', url: `${BASE}/flavors/3/os-extra_specs/hw:cpu_policy`, headers: headers('admin'), payload: { 'hw:cpu_policy': 'shared' } });
      assert.equal(upd.statusCode, 200);
      assert.deepEqual((await get('/flavors/3/os-extra_specs/hw:cpu_policy')).json(), { 'hw:cpu_policy': 'shared' });
      const mismatch = await api.app.inject({ method: 'PUT', url: `${BASE}/flavors/3/os-extra_specs/hw:cpu_policy`, headers: headers('admin'), payload: { other: 'x' } });
      assert.equal(mismatch.statusCode, 400);
      assert.equal(mismatch.json().badRequest.message, 'Request body and URI mismatch');
      const two = await api.app.inject({ method: 'PUT', url: `${BASE}/flavors/3/os-extra_specs/a`, headers: headers('admin'), payload: { a: '1', b: '2' } });
      assert.equal(two.statusCode, 400);
      const shown = (await get('/flavors/detail', 'demo', '2.61')).json().flavors.find((f: { id: string }) => f.id === '3');
      assert.deepEqual(shown.extra_specs, { 'hw:cpu_policy': 'shared', 'quota:cpu_shares': '1024' });
      const del = await api.app.inject({ method: 'DELETE', url: `${BASE}/flavors/3/os-extra_specs/quota:cpu_shares`, headers: headers('admin') });
      assert.equal(del.statusCode, 200);
      const gone = await get('/flavors/3/os-extra_specs/quota:cpu_shares');
      assert.equal(gone.statusCode, 404);
      assert.equal(gone.json().itemNotFound.message, 'Flavor 3 has no extra specs with key quota:cpu_shares.');
      assert.equal((await post('/flavors/3/os-extra_specs', { extra_specs: { 'bad/key': 'x' } })).statusCode, 400);
      assert.equal((await post('/flavors/3/os-extra_specs', { extra_specs: { k: 'v' } }, 'demo')).statusCode, 403);
      assert.equal((await post('/flavors/nope/os-extra_specs', { extra_specs: { k: 'v' } })).statusCode, 404);
    });

    test('private flavors: access list, add and remove tenant, visibility and boot', async () => {
      const demoProject = TEST_AUTH.demo.projectId;
      await post('/flavors', { flavor: { name: 'secret', id: 'secret', ram: 64, vcpus: 1, disk: 0, 'os-flavor-access:is_public': false } });
      assert.equal((await get('/flavors/secret', 'demo')).statusCode, 404);
      assert.ok(!(await get('/flavors', 'demo')).json().flavors.some((f: { id: string }) => f.id === 'secret'));
      await assert.rejects(getFlavorForBoot(api.db, 'secret', demoProject), (e: ApiError) => e.status === 404 && e.message === 'Flavor secret could not be found.');

      const added = await post('/flavors/secret/action', { addTenantAccess: { tenant: demoProject } });
      assert.equal(added.statusCode, 200);
      assert.deepEqual(added.json(), { flavor_access: [{ flavor_id: 'secret', tenant_id: demoProject }] });
      assert.equal((await post('/flavors/secret/action', { addTenantAccess: { tenant: demoProject } })).statusCode, 409);
      assert.deepEqual((await get('/flavors/secret/os-flavor-access', 'admin')).json(), added.json());
      assert.equal((await get('/flavors/secret', 'demo')).statusCode, 200);
      assert.ok((await get('/flavors', 'demo')).json().flavors.some((f: { id: string }) => f.id === 'secret'));
      assert.equal((await get('/flavors/secret', 'other')).statusCode, 404);
      const boot = await getFlavorForBoot(api.db, 'secret', demoProject);
      assert.equal(boot.flavorid, 'secret');
      assert.deepEqual(boot.extra_specs, {});

      // Admin listing: is_public=false shows only private, None shows all.
      const priv = (await get('/flavors?is_public=false', 'admin')).json().flavors.map((f: { id: string }) => f.id);
      assert.deepEqual(priv, ['secret']);
      const all = (await get('/flavors?is_public=None', 'admin')).json().flavors.map((f: { id: string }) => f.id);
      assert.ok(all.includes('secret') && all.includes('1'));
      // A non-admin's is_public filter is ignored.
      const demoPriv = (await get('/flavors?is_public=false', 'demo')).json().flavors.map((f: { id: string }) => f.id);
      assert.ok(demoPriv.includes('1'));

      const removed = await post('/flavors/secret/action', { removeTenantAccess: { tenant: demoProject } });
      assert.deepEqual(removed.json(), { flavor_access: [] });
      assert.equal((await post('/flavors/secret/action', { removeTenantAccess: { tenant: demoProject } })).statusCode, 404);
      assert.equal((await get('/flavors/secret', 'demo')).statusCode, 404);
    });

    test('flavor access errors: public flavors, policy, bad bodies', async () => {
      const list = await get('/flavors/1/os-flavor-access', 'admin');
      assert.equal(list.statusCode, 404);
      assert.equal(list.json().itemNotFound.message, 'Access list not available for public flavors.');
      const pub27 = await post('/flavors/1/action', { addTenantAccess: { tenant: 'p' } }, 'admin', '2.7');
      assert.equal(pub27.statusCode, 409);
      assert.equal(pub27.json().conflictingRequest.message, 'Can not add access to a public flavor.');
      assert.equal((await post('/flavors/1/action', { addTenantAccess: { tenant: 'p' } }, 'demo')).statusCode, 403);
      assert.equal((await get('/flavors/1/os-flavor-access', 'demo')).statusCode, 403);
      assert.equal((await post('/flavors/1/action', { addTenantAccess: { tenant: '' } })).statusCode, 400);
      assert.equal((await post('/flavors/1/action', { addTenantAccess: {} })).statusCode, 400);
      assert.equal((await post('/flavors/1/action', { explode: {} })).statusCode, 400);
    });

    test('disabled flavors cannot be booted and are hidden from non-admin lists', async () => {
      await post('/flavors', { flavor: { name: 'retired', id: 'retired', ram: 64, vcpus: 1, disk: 0 } });
      await api.db.updateTable('flavors').set({ disabled: 1 }).where('flavorid', '=', 'retired').execute();
      await assert.rejects(getFlavorForBoot(api.db, 'retired', TEST_AUTH.demo.projectId), (e: ApiError) => e.status === 400);
      await assert.rejects(getFlavorForBoot(api.db, 'nope', TEST_AUTH.demo.projectId), (e: ApiError) => e.status === 404);
      assert.ok(!(await get('/flavors', 'demo')).json().flavors.some((f: { id: string }) => f.id === 'retired'));
      assert.ok((await get('/flavors', 'admin')).json().flavors.some((f: { id: string }) => f.id === 'retired'));
      assert.equal((await get('/flavors/retired', 'demo')).json().flavor['OS-FLV-DISABLED:disabled'], true);
    });

    test('microversion errors: malformed is 400, out of range is 406', async () => {
      const bad = await api.app.inject({ method: 'GET', url: `${BASE}/flavors`, headers: { ...headers('demo'), 'openstack-api-version': 'compute 2.x' } });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().badRequest.code, 400);
      const high = await api.app.inject({ method: 'GET', url: `${BASE}/flavors`, headers: headers('demo', '2.999') });
      assert.equal(high.statusCode, 406);
      const ok = await get('/flavors', 'demo', 'latest');
      assert.equal(ok.headers['openstack-api-version'], 'compute 2.96');
    });

    test('no token is 401', async () => {
      const res = await api.app.inject({ method: 'GET', url: `${BASE}/flavors` });
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().unauthorized.code, 401);
    });
  });
}
