import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { databaseTargets } from '../helpers/databases.js';
import { openPlacementHttp, placementError, type PlacementHttp } from './http-fixture.js';

for (const target of await databaseTargets()) {
  describe(`placement HTTP API (${target.name})`, () => {
    let h: PlacementHttp;
    before(async () => { h = await openPlacementHttp(target); });
    after(async () => { await h.dispose(); });

    async function newProvider(name = `rp-${crypto.randomUUID().slice(0, 8)}`): Promise<string> {
      const res = await h.call('POST', '/resource_providers', { body: { name } });
      assert.equal(res.statusCode, 200, res.body);
      return res.json().uuid;
    }

    describe('versions', () => {
      test('the version document needs no token', async () => {
        const res = await h.app.inject({ method: 'GET', url: '/placement/' });
        assert.equal(res.statusCode, 200);
        assert.deepEqual(res.json().versions[0].id, 'v1.0');
        assert.equal(res.json().versions[0].max_version, '1.39');
        assert.equal(res.json().versions[0].min_version, '1.0');
        assert.equal(res.json().versions[0].status, 'CURRENT');
      });

      test('no header means 1.0; the version is echoed with Vary', async () => {
        const res = await h.call('GET', '/resource_providers', { version: null });
        assert.equal(res.statusCode, 200);
        assert.equal(res.headers['openstack-api-version'], 'placement 1.0');
        assert.match(String(res.headers.vary), /openstack-api-version/i);
      });

      test('latest is the ceiling', async () => {
        const res = await h.call('GET', '/resource_providers', { version: 'latest' });
        assert.equal(res.headers['openstack-api-version'], 'placement 1.39');
      });

      test('out of range → 406, malformed → 400, both as placement errors', async () => {
        const high = await h.call('GET', '/resource_providers', { version: '1.99' });
        assert.equal(high.statusCode, 406);
        assert.equal(placementError(high.body).status, 406);
        const bad = await h.call('GET', '/resource_providers', { version: 'one' });
        assert.equal(bad.statusCode, 400);
        assert.match(placementError(bad.body).detail, /invalid format/);
        const low = await h.call('GET', '/resource_providers', { version: '2.0' });
        assert.equal(low.statusCode, 406);
      });

      test('a route newer than the asked version is 404', async () => {
        assert.equal((await h.call('GET', '/traits', { version: '1.5' })).statusCode, 404);
        assert.equal((await h.call('GET', '/traits', { version: '1.6' })).statusCode, 200);
        assert.equal((await h.call('GET', '/allocation_candidates?resources=VCPU:1', { version: '1.9' })).statusCode, 404);
      });

      test('1.15+ GETs carry cache headers', async () => {
        const res = await h.call('GET', '/resource_providers', { version: '1.15' });
        assert.equal(res.headers['cache-control'], 'no-cache');
        assert.ok(res.headers['last-modified']);
        const old = await h.call('GET', '/resource_providers', { version: '1.14' });
        assert.equal(old.headers['last-modified'], undefined);
      });
    });

    describe('auth and policy', () => {
      test('no token → 401', async () => {
        const res = await h.app.inject({ method: 'GET', url: '/placement/resource_providers' });
        assert.equal(res.statusCode, 401);
        assert.equal(placementError(res.body).status, 401);
      });

      test('a member token is refused: placement is admin-only', async () => {
        for (const [method, url] of [['GET', '/resource_providers'], ['GET', '/allocation_candidates?resources=VCPU:1'], ['GET', '/usages?project_id=x']] as const) {
          const res = await h.call(method, url, { who: 'demo' });
          assert.equal(res.statusCode, 403, url);
          const err = placementError(res.body);
          assert.equal(err.status, 403);
          assert.equal(err.title, 'Forbidden');
          assert.match(err.request_id, /^req-/);
        }
        const create = await h.call('POST', '/resource_providers', { who: 'demo', body: { name: 'sneaky' } });
        assert.equal(create.statusCode, 403);
        assert.equal((await h.placement.listResourceProviders({ name: 'sneaky' })).length, 0);
      });
    });

    describe('resource providers', () => {
      test('create: 1.20 returns the provider, earlier versions only Location', async () => {
        const res = await h.call('POST', '/resource_providers', { body: { name: 'cn-1' } });
        assert.equal(res.statusCode, 200);
        assert.equal(res.json().name, 'cn-1');
        assert.equal(res.json().generation, 0);
        assert.equal(res.json().root_provider_uuid, res.json().uuid);
        assert.equal(res.json().parent_provider_uuid, null);
        assert.equal(res.headers.location, `/placement/resource_providers/${res.json().uuid}`);
        const old = await h.call('POST', '/resource_providers', { version: '1.19', body: { name: 'cn-old', uuid: crypto.randomUUID() } });
        assert.equal(old.statusCode, 201);
        assert.equal(old.body, '');
        assert.ok(old.headers.location);
      });

      test('duplicate name → 409 placement.duplicate_name', async () => {
        await newProvider('dup-name');
        const res = await h.call('POST', '/resource_providers', { body: { name: 'dup-name' } });
        assert.equal(res.statusCode, 409);
        assert.equal(placementError(res.body).code, 'placement.duplicate_name');
      });

      test('bad bodies → 400', async () => {
        for (const body of [{}, { name: 5 }, { name: 'x', color: 'red' }, { name: 'x', uuid: 'not-a-uuid' }, { name: 'x'.repeat(201) }, []]) {
          const res = await h.call('POST', '/resource_providers', { body });
          assert.equal(res.statusCode, 400, JSON.stringify(body));
          assert.equal(placementError(res.body).status, 400);
        }
        const badJson = await h.call('POST', '/resource_providers', { raw: '{"name": ' });
        assert.equal(badJson.statusCode, 400);
        assert.equal(placementError(badJson.body).title, 'Bad Request');
        const unknownParent = await h.call('POST', '/resource_providers', { body: { name: 'orphan', parent_provider_uuid: crypto.randomUUID() } });
        assert.equal(unknownParent.statusCode, 400);
      });

      test('show, list filters, update, delete; unknown → 404', async () => {
        const root = await newProvider('tree-root');
        const child = (await h.call('POST', '/resource_providers', { body: { name: 'tree-child', parent_provider_uuid: root } })).json();
        assert.equal(child.root_provider_uuid, root);
        assert.equal(child.parent_provider_uuid, root);
        const shown = await h.call('GET', `/resource_providers/${root}`);
        assert.equal(shown.json().name, 'tree-root');
        assert.deepEqual(shown.json().links.map((l: { rel: string }) => l.rel), ['self', 'inventories', 'usages', 'aggregates', 'traits', 'allocations']);
        const inTree = await h.call('GET', `/resource_providers?in_tree=${child.uuid}`);
        assert.deepEqual(inTree.json().resource_providers.map((r: { name: string }) => r.name).sort(), ['tree-child', 'tree-root']);
        const byName = await h.call('GET', '/resource_providers?name=tree-child');
        assert.equal(byName.json().resource_providers.length, 1);
        assert.equal((await h.call('GET', '/resource_providers?bogus=1')).statusCode, 400);
        assert.equal((await h.call('GET', '/resource_providers?in_tree=x', { version: '1.13' })).statusCode, 400, 'in_tree is 1.14+');

        const renamed = await h.call('PUT', `/resource_providers/${root}`, { body: { name: 'tree-root-2' } });
        assert.equal(renamed.statusCode, 200);
        assert.equal(renamed.json().name, 'tree-root-2');
        const reparent = await h.call('PUT', `/resource_providers/${child.uuid}`, { version: '1.36', body: { name: 'tree-child', parent_provider_uuid: null } });
        assert.equal(reparent.statusCode, 400);

        const parentDelete = await h.call('DELETE', `/resource_providers/${root}`);
        assert.equal(parentDelete.statusCode, 409);
        assert.equal(placementError(parentDelete.body).code, 'placement.resource_provider.cannot_delete_parent');
        assert.equal((await h.call('DELETE', `/resource_providers/${child.uuid}`)).statusCode, 204);
        assert.equal((await h.call('DELETE', `/resource_providers/${root}`)).statusCode, 204);
        const gone = await h.call('GET', `/resource_providers/${root}`);
        assert.equal(gone.statusCode, 404);
        assert.equal(placementError(gone.body).code, 'placement.resource_provider.not_found');
        assert.equal((await h.call('GET', `/resource_providers/${crypto.randomUUID()}/inventories`)).statusCode, 404);
      });
    });

    describe('inventories', () => {
      test('PUT all, GET, generations and conflicts', async () => {
        const rp = await newProvider();
        const put = await h.call('PUT', `/resource_providers/${rp}/inventories`, {
          body: { resource_provider_generation: 0, inventories: { VCPU: { total: 8, allocation_ratio: 16.0 }, MEMORY_MB: { total: 4096, reserved: 512 } } },
        });
        assert.equal(put.statusCode, 200, put.body);
        assert.equal(put.json().resource_provider_generation, 1);
        assert.deepEqual(put.json().inventories.VCPU, { total: 8, reserved: 0, min_unit: 1, max_unit: 2147483647, step_size: 1, allocation_ratio: 16 });
        const stale = await h.call('PUT', `/resource_providers/${rp}/inventories`, { body: { resource_provider_generation: 0, inventories: {} } });
        assert.equal(stale.statusCode, 409);
        assert.equal(placementError(stale.body).code, 'placement.concurrent_update');
        const one = await h.call('GET', `/resource_providers/${rp}/inventories/MEMORY_MB`);
        assert.equal(one.json().reserved, 512);
        assert.equal(one.json().resource_provider_generation, 1);
        assert.equal((await h.call('GET', `/resource_providers/${rp}/inventories/DISK_GB`)).statusCode, 404);
      });

      test('bad inventories → 400 placement errors', async () => {
        const rp = await newProvider();
        const cases: unknown[] = [
          { resource_provider_generation: 0, inventories: { VCPU: { total: -1 } } },
          { resource_provider_generation: 0, inventories: { VCPU: { total: 'eight' } } },
          { resource_provider_generation: 0, inventories: { VCPU: { reserved: 1 } } },
          { resource_provider_generation: 0, inventories: { VCPU: { total: 4, reserved: 8 } } },
          { resource_provider_generation: 0, inventories: { CUSTOM_UNKNOWN: { total: 4 } } },
          { resource_provider_generation: 0, inventories: { 'lower-case': { total: 4 } } },
          { inventories: { VCPU: { total: 4 } } },
          { resource_provider_generation: 0, inventories: { VCPU: { total: 4, colour: 'blue' } } },
        ];
        for (const body of cases) {
          const res = await h.call('PUT', `/resource_providers/${rp}/inventories`, { body });
          assert.equal(res.statusCode, 400, JSON.stringify(body));
          assert.equal(placementError(res.body).status, 400);
        }
        assert.deepEqual((await h.call('GET', `/resource_providers/${rp}/inventories`)).json().inventories, {});
        const unknownRp = await h.call('PUT', `/resource_providers/${crypto.randomUUID()}/inventories`, { body: { resource_provider_generation: 0, inventories: {} } });
        assert.equal(unknownRp.statusCode, 404);
      });

      test('reserved may equal total from 1.26 only', async () => {
        const rp = await newProvider();
        const body = { resource_provider_generation: 0, inventories: { VCPU: { total: 4, reserved: 4 } } };
        assert.equal((await h.call('PUT', `/resource_providers/${rp}/inventories`, { version: '1.25', body })).statusCode, 400);
        assert.equal((await h.call('PUT', `/resource_providers/${rp}/inventories`, { version: '1.26', body })).statusCode, 200);
      });

      test('POST one, PUT one, DELETE one; shrinking below usage → 409 inuse', async () => {
        const rp = await newProvider();
        const post = await h.call('POST', `/resource_providers/${rp}/inventories`, { body: { resource_class: 'VCPU', total: 4 } });
        assert.equal(post.statusCode, 201, post.body);
        assert.equal(post.json().total, 4);
        assert.equal((await h.call('POST', `/resource_providers/${rp}/inventories`, { body: { resource_class: 'VCPU', total: 4 } })).statusCode, 409);
        const consumer = crypto.randomUUID();
        const alloc = await h.call('PUT', `/allocations/${consumer}`, {
          body: { allocations: { [rp]: { resources: { VCPU: 3 } } }, project_id: 'p', user_id: 'u', consumer_generation: null, consumer_type: 'INSTANCE' },
        });
        assert.equal(alloc.statusCode, 204, alloc.body);
        const gen = (await h.call('GET', `/resource_providers/${rp}/inventories`)).json().resource_provider_generation;
        const shrink = await h.call('PUT', `/resource_providers/${rp}/inventories/VCPU`, { body: { resource_provider_generation: gen, total: 2 } });
        assert.equal(shrink.statusCode, 409);
        assert.equal(placementError(shrink.body).code, 'placement.inventory.inuse');
        const del = await h.call('DELETE', `/resource_providers/${rp}/inventories/VCPU`);
        assert.equal(del.statusCode, 409);
        assert.equal(placementError(del.body).code, 'placement.inventory.inuse');
        const grow = await h.call('PUT', `/resource_providers/${rp}/inventories/VCPU`, { body: { resource_provider_generation: gen, total: 6 } });
        assert.equal(grow.statusCode, 200);
        assert.equal(grow.json().total, 6);
        const usages = await h.call('GET', `/resource_providers/${rp}/usages`);
        assert.deepEqual(usages.json().usages, { VCPU: 3 });
        const rpAllocs = await h.call('GET', `/resource_providers/${rp}/allocations`);
        assert.deepEqual(rpAllocs.json().allocations, { [consumer]: { resources: { VCPU: 3 } } });
      });
    });

    describe('allocations', () => {
      let rp: string;
      before(async () => {
        rp = await newProvider();
        const res = await h.call('PUT', `/resource_providers/${rp}/inventories`, {
          body: { resource_provider_generation: 0, inventories: { VCPU: { total: 4 }, MEMORY_MB: { total: 2048 }, DISK_GB: { total: 100, step_size: 10 } } },
        });
        assert.equal(res.statusCode, 200);
      });

      test('PUT at 1.28 with consumer generations, GET shows them', async () => {
        const c = crypto.randomUUID();
        const body = { allocations: { [rp]: { resources: { VCPU: 1, MEMORY_MB: 256 } } }, project_id: 'proj', user_id: 'user', consumer_generation: null };
        assert.equal((await h.call('PUT', `/allocations/${c}`, { version: '1.28', body })).statusCode, 204);
        const again = await h.call('PUT', `/allocations/${c}`, { version: '1.28', body });
        assert.equal(again.statusCode, 409);
        assert.equal(placementError(again.body).code, 'placement.concurrent_update');
        const got = await h.call('GET', `/allocations/${c}`, { version: '1.28' });
        assert.equal(got.json().consumer_generation, 1);
        assert.equal(got.json().project_id, 'proj');
        assert.deepEqual(got.json().allocations[rp].resources, { VCPU: 1, MEMORY_MB: 256 });
        assert.equal(typeof got.json().allocations[rp].generation, 'number');
        const old = await h.call('GET', `/allocations/${c}`, { version: '1.11' });
        assert.equal(old.json().project_id, undefined);
        assert.equal(old.json().consumer_generation, undefined);
        assert.equal((await h.call('DELETE', `/allocations/${c}`)).statusCode, 204);
        const missing = await h.call('DELETE', `/allocations/${c}`);
        assert.equal(missing.statusCode, 404);
        assert.deepEqual((await h.call('GET', `/allocations/${c}`)).json(), { allocations: {} });
      });

      test('the 1.12 dict shape vs the older list shape', async () => {
        const c = crypto.randomUUID();
        const listShape = { allocations: [{ resource_provider: { uuid: rp }, resources: { VCPU: 1 } }], project_id: 'p', user_id: 'u' };
        assert.equal((await h.call('PUT', `/allocations/${c}`, { version: '1.11', body: listShape })).statusCode, 204);
        assert.equal((await h.call('PUT', `/allocations/${c}`, { version: '1.12', body: listShape })).statusCode, 400);
        assert.equal((await h.call('PUT', `/allocations/${c}`, { version: '1.12', body: { ...listShape, allocations: { [rp]: { resources: { VCPU: 2 } } } } })).statusCode, 204);
        assert.deepEqual((await h.call('GET', `/allocations/${c}`)).json().allocations[rp].resources, { VCPU: 2 });
        await h.call('DELETE', `/allocations/${c}`);
      });

      test('over capacity → 409; off step, unknown provider or class → 400; nothing written', async () => {
        const c = crypto.randomUUID();
        const base = { project_id: 'p', user_id: 'u', consumer_generation: null, consumer_type: 'INSTANCE' };
        const over = await h.call('PUT', `/allocations/${c}`, { body: { ...base, allocations: { [rp]: { resources: { VCPU: 5 } } } } });
        assert.equal(over.statusCode, 409);
        assert.match(placementError(over.body).detail, /Unable to allocate inventory/);
        const step = await h.call('PUT', `/allocations/${c}`, { body: { ...base, allocations: { [rp]: { resources: { DISK_GB: 15 } } } } });
        assert.equal(step.statusCode, 400);
        const ghost = await h.call('PUT', `/allocations/${c}`, { body: { ...base, allocations: { [crypto.randomUUID()]: { resources: { VCPU: 1 } } } } });
        assert.equal(ghost.statusCode, 400);
        const unknownRc = await h.call('PUT', `/allocations/${c}`, { body: { ...base, allocations: { [rp]: { resources: { CUSTOM_NOPE: 1 } } } } });
        assert.equal(unknownRc.statusCode, 400);
        for (const body of [{ ...base }, { ...base, allocations: { [rp]: { resources: { VCPU: 0 } } } }, { ...base, allocations: { [rp]: { resources: { VCPU: '1' } } } }, { ...base, consumer_type: undefined, allocations: { [rp]: { resources: { VCPU: 1 } } } }]) {
          const res = await h.call('PUT', `/allocations/${c}`, { body });
          assert.equal(res.statusCode, 400, JSON.stringify(body));
        }
        assert.equal((await h.call('PUT', '/allocations/not-a-uuid', { body: { ...base, allocations: { [rp]: { resources: { VCPU: 1 } } } } })).statusCode, 400);
        assert.deepEqual((await h.call('GET', `/allocations/${c}`)).json(), { allocations: {} });
        assert.deepEqual((await h.call('GET', `/resource_providers/${rp}/usages`)).json().usages, { DISK_GB: 0, MEMORY_MB: 0, VCPU: 0 });
      });

      test('POST /allocations writes several consumers atomically', async () => {
        const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
        const entry = (vcpu: number) => ({ allocations: { [rp]: { resources: { VCPU: vcpu } } }, project_id: 'multi', user_id: 'u', consumer_generation: null, consumer_type: 'INSTANCE' });
        const tooMuch = await h.call('POST', '/allocations', { body: { [a]: entry(2), [b]: entry(3) } });
        assert.equal(tooMuch.statusCode, 409);
        assert.deepEqual((await h.call('GET', `/allocations/${a}`)).json().allocations, {});
        assert.equal((await h.call('POST', '/allocations', { body: { [a]: entry(2), [b]: entry(2) } })).statusCode, 204);
        const usages = await h.call('GET', '/usages?project_id=multi', { version: '1.9' });
        assert.deepEqual(usages.json(), { usages: { VCPU: 4 } });
        const typed = await h.call('GET', '/usages?project_id=multi');
        assert.deepEqual(typed.json().usages.INSTANCE, { consumer_count: 2, VCPU: 4 });
        assert.deepEqual(typed.json().usages.all, { consumer_count: 2, VCPU: 4 });
        assert.equal((await h.call('GET', '/usages')).statusCode, 400);
        // Empty allocations remove a consumer's allocations.
        const clear = await h.call('POST', '/allocations', { body: { [a]: { ...entry(0), allocations: {}, consumer_generation: 1 }, [b]: { ...entry(0), allocations: {}, consumer_generation: 1 } } });
        assert.equal(clear.statusCode, 204, clear.body);
        assert.deepEqual((await h.call('GET', '/usages?project_id=multi', { version: '1.9' })).json(), { usages: {} });
      });
    });

    describe('allocation candidates', () => {
      test('filters and shapes by microversion', async () => {
        await h.call('PUT', '/traits/CUSTOM_FAST');
        const fast = await newProvider();
        await h.call('PUT', `/resource_providers/${fast}/inventories`, { body: { resource_provider_generation: 0, inventories: { VCPU: { total: 200 }, MEMORY_MB: { total: 131072 } } } });
        const traits = await h.call('PUT', `/resource_providers/${fast}/traits`, { body: { traits: ['CUSTOM_FAST', 'COMPUTE_NODE'], resource_provider_generation: 1 } });
        assert.equal(traits.statusCode, 200, traits.body);
        const res = await h.call('GET', '/allocation_candidates?resources=VCPU:40,MEMORY_MB:1024&required=CUSTOM_FAST');
        assert.equal(res.statusCode, 200, res.body);
        assert.deepEqual(res.json().allocation_requests, [{ allocations: { [fast]: { resources: { VCPU: 40, MEMORY_MB: 1024 } } }, mappings: { '': [fast] } }]);
        const summary = res.json().provider_summaries[fast];
        assert.deepEqual(summary.resources.VCPU, { capacity: 200, used: 0 });
        assert.deepEqual(summary.traits, ['COMPUTE_NODE', 'CUSTOM_FAST']);
        assert.equal(summary.root_provider_uuid, fast);
        const forbidden = await h.call('GET', `/allocation_candidates?resources=VCPU:40&required=!CUSTOM_FAST&in_tree=${fast}`);
        assert.deepEqual(forbidden.json().allocation_requests, []);
        const old = await h.call('GET', '/allocation_candidates?resources=VCPU:150', { version: '1.10' });
        assert.deepEqual(old.json().allocation_requests, [{ allocations: [{ resource_provider: { uuid: fast }, resources: { VCPU: 150 } }] }]);
        assert.equal(old.json().provider_summaries[fast].traits, undefined);
      });

      test('bad queries → 400', async () => {
        for (const url of ['/allocation_candidates', '/allocation_candidates?resources=VCPU', '/allocation_candidates?resources=VCPU:-1',
          '/allocation_candidates?resources=CUSTOM_NOPE:1', '/allocation_candidates?resources=VCPU:1&required=CUSTOM_NOPE',
          '/allocation_candidates?resources=VCPU:1&limit=0', '/allocation_candidates?resources=VCPU:1&member_of=nope',
          '/allocation_candidates?resources=VCPU:1&resources=VCPU:2', '/allocation_candidates?resources=VCPU:1&colour=red']) {
          const res = await h.call('GET', url);
          assert.equal(res.statusCode, 400, url);
          assert.equal(placementError(res.body).status, 400);
        }
        const missing = await h.call('GET', '/allocation_candidates');
        assert.equal(placementError(missing.body).code, 'placement.query.missing_value');
      });
    });

    describe('resource classes and traits', () => {
      test('custom resource classes: create, show, idempotent PUT, delete', async () => {
        const post = await h.call('POST', '/resource_classes', { body: { name: 'CUSTOM_GPU_SLICE' } });
        assert.equal(post.statusCode, 201);
        assert.equal((await h.call('POST', '/resource_classes', { body: { name: 'CUSTOM_GPU_SLICE' } })).statusCode, 409);
        assert.equal((await h.call('POST', '/resource_classes', { body: { name: 'GPU_SLICE' } })).statusCode, 400);
        assert.equal((await h.call('PUT', '/resource_classes/CUSTOM_GPU_SLICE')).statusCode, 204);
        assert.equal((await h.call('PUT', '/resource_classes/CUSTOM_FPGA_X')).statusCode, 201);
        assert.equal((await h.call('PUT', '/resource_classes/VCPU')).statusCode, 400);
        assert.equal((await h.call('GET', '/resource_classes/VCPU')).json().name, 'VCPU');
        const list = await h.call('GET', '/resource_classes');
        const names = list.json().resource_classes.map((r: { name: string }) => r.name);
        assert.ok(names.includes('MEMORY_MB') && names.includes('CUSTOM_GPU_SLICE'));
        assert.equal((await h.call('DELETE', '/resource_classes/VCPU')).statusCode, 400);
        assert.equal((await h.call('DELETE', '/resource_classes/CUSTOM_FPGA_X')).statusCode, 204);
        assert.equal((await h.call('GET', '/resource_classes/CUSTOM_FPGA_X')).statusCode, 404);
      });

      test('traits: standard ones exist, custom ones are created, filters work', async () => {
        assert.equal((await h.call('GET', '/traits/HW_CPU_X86_AVX2')).statusCode, 204);
        assert.equal((await h.call('GET', '/traits/CUSTOM_NOT_YET')).statusCode, 404);
        assert.equal((await h.call('PUT', '/traits/CUSTOM_NOT_YET')).statusCode, 201);
        assert.equal((await h.call('PUT', '/traits/CUSTOM_NOT_YET')).statusCode, 204);
        assert.equal((await h.call('PUT', '/traits/not_custom')).statusCode, 400);
        const list = await h.call('GET', '/traits?name=startswith:CUSTOM_NOT');
        assert.deepEqual(list.json().traits, ['CUSTOM_NOT_YET']);
        assert.equal((await h.call('GET', '/traits?name=bogus')).statusCode, 400);
        assert.equal((await h.call('DELETE', '/traits/COMPUTE_NODE')).statusCode, 400);
        assert.equal((await h.call('DELETE', '/traits/CUSTOM_NOT_YET')).statusCode, 204);
        const rp = await newProvider();
        const unknown = await h.call('PUT', `/resource_providers/${rp}/traits`, { body: { traits: ['CUSTOM_GHOST'], resource_provider_generation: 0 } });
        assert.equal(unknown.statusCode, 400);
        const stale = await h.call('PUT', `/resource_providers/${rp}/traits`, { body: { traits: ['COMPUTE_NODE'], resource_provider_generation: 7 } });
        assert.equal(stale.statusCode, 409);
        assert.equal(placementError(stale.body).code, 'placement.concurrent_update');
      });

      test('aggregates: list body before 1.19, generation after', async () => {
        const rp = await newProvider();
        const agg = crypto.randomUUID();
        const old = await h.call('PUT', `/resource_providers/${rp}/aggregates`, { version: '1.18', body: [agg] });
        assert.equal(old.statusCode, 200, old.body);
        assert.deepEqual(old.json(), { aggregates: [agg] });
        const cur = await h.call('GET', `/resource_providers/${rp}/aggregates`);
        assert.deepEqual(cur.json(), { aggregates: [agg], resource_provider_generation: 1 });
        const bad = await h.call('PUT', `/resource_providers/${rp}/aggregates`, { body: { aggregates: ['nope'], resource_provider_generation: 1 } });
        assert.equal(bad.statusCode, 400);
        const listed = await h.call('GET', `/resource_providers?member_of=${agg}`);
        assert.deepEqual(listed.json().resource_providers.map((r: { uuid: string }) => r.uuid), [rp]);
      });
    });
  });
}
