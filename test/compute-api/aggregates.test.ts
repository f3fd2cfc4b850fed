/**
 * os-aggregates: create / list / show / update / delete, add and remove
 * hosts, metadata, availability zones made by aggregates (one per host, not
 * changed under servers), the placement mirror, policy and bad input.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildComputeApi, FakeProviderAggregates, headers, seedComputeNode, seedInstance, seedService, targets, type TestApi } from './app.js';

type Who = 'admin' | 'demo' | 'other' | 'reader';

for (const target of targets) {
  describe(`host aggregates (${target.name})`, () => {
    let api: TestApi;
    const placement = new FakeProviderAggregates();
    let node1: string;
    let serial = 0;
    before(async () => {
      api = await buildComputeApi(target, { DEFAULT: { service_down_time: 60 } }, placement);
      await seedService(api.db, { host: 'ctl', binary: 'nova-conductor' });
      await seedService(api.db, { host: 'cmp1', binary: 'nova-compute' });
      await seedService(api.db, { host: 'cmp2', binary: 'nova-compute' });
      await seedService(api.db, { host: 'cmp3', binary: 'nova-compute' });
      node1 = (await seedComputeNode(api.db, 'cmp1')).uuid;
      await seedComputeNode(api.db, 'cmp2');
    });
    after(async () => api.close());

    const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, who: Who = 'admin', version?: string) => {
      const res = await api.app.inject({ method, url: `/compute/v2.1${path}`, headers: headers(who, version), ...(body === undefined ? {} : { payload: body as object }) });
      return { status: res.statusCode, json: res.body ? res.json() : undefined };
    };
    const create = async (zone?: string | null) => {
      const name = `agg-${++serial}`;
      const res = await call('POST', '/os-aggregates', { aggregate: { name, ...(zone === undefined ? {} : { availability_zone: zone }) } });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      return res.json.aggregate as { id: number; name: string; availability_zone: string | null };
    };
    const action = (id: number | string, body: unknown, who: Who = 'admin') => call('POST', `/os-aggregates/${id}/action`, body, who);
    const zonesListed = async () => (await call('GET', '/os-availability-zone', undefined, 'demo')).json.availabilityZoneInfo.map((z: { zoneName: string }) => z.zoneName);

    test('create answers without hosts and metadata; show, list and update have them; uuid from 2.41', async () => {
      const res = await call('POST', '/os-aggregates', { aggregate: { name: 'first', availability_zone: 'az-first' } });
      assert.equal(res.status, 200);
      const agg = res.json.aggregate;
      assert.deepEqual(Object.keys(agg).sort(), ['availability_zone', 'created_at', 'deleted', 'deleted_at', 'id', 'name', 'updated_at']);
      assert.equal(agg.availability_zone, 'az-first');
      assert.equal(agg.deleted, false);
      assert.equal(agg.updated_at, null);
      assert.match(agg.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);

      const shown = (await call('GET', `/os-aggregates/${agg.id}`)).json.aggregate;
      assert.deepEqual(shown.hosts, []);
      assert.deepEqual(shown.metadata, { availability_zone: 'az-first' });
      assert.equal(shown.uuid, undefined);
      const at241 = (await call('GET', `/os-aggregates/${agg.id}`, undefined, 'admin', '2.41')).json.aggregate;
      assert.match(at241.uuid, /^[0-9a-f-]{36}$/);
      assert.ok((await call('GET', '/os-aggregates')).json.aggregates.some((a: { id: number }) => a.id === agg.id));

      const updated = await call('PUT', `/os-aggregates/${agg.id}`, { aggregate: { name: '  renamed  ' } });
      assert.equal(updated.status, 200);
      assert.equal(updated.json.aggregate.name, 'renamed');
      assert.notEqual(updated.json.aggregate.updated_at, null);
      assert.equal(updated.json.aggregate.availability_zone, 'az-first');

      const zoned = await call('PUT', `/os-aggregates/${agg.id}`, { aggregate: { availability_zone: 'az-second' } });
      assert.deepEqual(zoned.json.aggregate.metadata, { availability_zone: 'az-second' });

      assert.equal((await call('DELETE', `/os-aggregates/${agg.id}`)).status, 200);
      assert.equal((await call('GET', `/os-aggregates/${agg.id}`)).status, 404);
      assert.equal((await call('DELETE', `/os-aggregates/${agg.id}`)).status, 404);
    });

    test('names are unique: a second create or a rename onto a taken name is 409, nothing created', async () => {
      const a = await create();
      const b = await create();
      const dup = await call('POST', '/os-aggregates', { aggregate: { name: a.name } });
      assert.equal(dup.status, 409);
      assert.equal(dup.json.conflictingRequest.message, `Aggregate ${a.name} already exists.`);
      assert.equal((await call('GET', '/os-aggregates')).json.aggregates.filter((x: { name: string }) => x.name === a.name).length, 1);
      const rename = await call('PUT', `/os-aggregates/${b.id}`, { aggregate: { name: a.name } });
      assert.equal(rename.status, 409);
      assert.equal((await call('GET', `/os-aggregates/${b.id}`)).json.aggregate.name, b.name);
    });

    test('set_metadata merges, a null value removes its key', async () => {
      const agg = await create();
      const set = await action(agg.id, { set_metadata: { metadata: { ssd: 'true', speed: 'fast' } } });
      assert.equal(set.status, 200);
      assert.deepEqual(set.json.aggregate.metadata, { ssd: 'true', speed: 'fast' });
      const merged = await action(agg.id, { set_metadata: { metadata: { ssd: null, gpu: 'yes' } } });
      assert.deepEqual(merged.json.aggregate.metadata, { speed: 'fast', gpu: 'yes' });
    });

    test('add_host and remove_host: the host shows in the aggregate and its provider joins the placement aggregate', async () => {
      const agg = await create();
      const uuid = (await call('GET', `/os-aggregates/${agg.id}`, undefined, 'admin', '2.41')).json.aggregate.uuid;
      const added = await action(agg.id, { add_host: { host: 'cmp1' } });
      assert.equal(added.status, 200, JSON.stringify(added.json));
      assert.deepEqual(added.json.aggregate.hosts, ['cmp1']);
      assert.ok(placement.byProvider.get(node1)!.aggregates.includes(uuid));

      const again = await action(agg.id, { add_host: { host: 'cmp1' } });
      assert.equal(again.status, 409);
      assert.equal(again.json.conflictingRequest.message, `Aggregate ${agg.id} already has host cmp1.`);
      const unknown = await action(agg.id, { add_host: { host: 'nowhere' } });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.json.itemNotFound.message, 'Compute host nowhere could not be found.');
      // Only compute hosts can join.
      assert.equal((await action(agg.id, { add_host: { host: 'ctl' } })).status, 404);

      const notEmpty = await call('DELETE', `/os-aggregates/${agg.id}`);
      assert.equal(notEmpty.status, 400);
      assert.equal(notEmpty.json.badRequest.message, `Cannot remove host from aggregate ${agg.id}. Reason: Host aggregate is not empty.`);

      const removed = await action(agg.id, { remove_host: { host: 'cmp1' } });
      assert.equal(removed.status, 200);
      assert.deepEqual(removed.json.aggregate.hosts, []);
      assert.ok(!placement.byProvider.get(node1)!.aggregates.includes(uuid));
      const absent = await action(agg.id, { remove_host: { host: 'cmp1' } });
      assert.equal(absent.status, 404);
      assert.equal(absent.json.itemNotFound.message, `Cannot remove host cmp1 in aggregate ${agg.id}`);
      assert.equal((await action(999999, { remove_host: { host: 'cmp1' } })).status, 404);
      assert.equal((await call('DELETE', `/os-aggregates/${agg.id}`)).status, 200);
    });

    test('a zone aggregate puts its hosts in that zone: the zone list, os-services and the servers on the host show it', async () => {
      const server = await seedInstance(api.db, { projectId: 'demo', host: 'cmp2' });
      assert.ok(!(await zonesListed()).includes('az-blue'));
      const agg = await create('az-blue');
      // A zone with no host in it is no zone anyone can use.
      assert.ok(!(await zonesListed()).includes('az-blue'));
      assert.equal((await action(agg.id, { add_host: { host: 'cmp2' } })).status, 200);
      assert.deepEqual(await zonesListed(), ['az-blue', 'nova']);
      const services = (await call('GET', '/os-services?binary=nova-compute')).json.services;
      assert.equal(services.find((s: { host: string }) => s.host === 'cmp2').zone, 'az-blue');
      assert.equal(services.find((s: { host: string }) => s.host === 'cmp1').zone, 'nova');
      const row = await api.db.selectFrom('instances').select('availability_zone').where('uuid', '=', server).executeTakeFirstOrThrow();
      assert.equal(row.availability_zone, 'az-blue');
      const detail = (await call('GET', '/os-availability-zone/detail')).json.availabilityZoneInfo;
      assert.deepEqual(Object.keys(detail.find((z: { zoneName: string }) => z.zoneName === 'az-blue').hosts), ['cmp2']);

      // A zone does not change under a running server, nor can it be emptied.
      const moved = await action(agg.id, { set_metadata: { metadata: { availability_zone: 'az-green' } } });
      assert.equal(moved.status, 400);
      assert.equal(moved.json.badRequest.message, `Cannot update metadata of aggregate ${agg.id}. Reason: One or more hosts contain instances in this zone.`);
      const renamed = await call('PUT', `/os-aggregates/${agg.id}`, { aggregate: { name: 'blue-renamed', availability_zone: 'az-green' } });
      assert.equal(renamed.status, 400);
      assert.match(renamed.json.badRequest.message, /^Cannot update aggregate \d+\. Reason: One or more hosts contain instances in this zone\.$/);
      assert.notEqual((await call('GET', `/os-aggregates/${agg.id}`)).json.aggregate.name, 'blue-renamed');
      const emptied = await action(agg.id, { set_metadata: { metadata: { availability_zone: null } } });
      assert.equal(emptied.status, 400);
      assert.match(emptied.json.badRequest.message, /does not support empty named availability zone/);
      // The same zone again is no change.
      assert.equal((await action(agg.id, { set_metadata: { metadata: { availability_zone: 'az-blue', rack: '7' } } })).status, 200);

      // One host, one zone: another zone aggregate cannot take cmp2, a zoneless one can.
      const other = await create('az-red');
      const conflict = await action(other.id, { add_host: { host: 'cmp2' } });
      assert.equal(conflict.status, 409);
      assert.equal(conflict.json.conflictingRequest.message, `Cannot add host to aggregate ${other.id}. Reason: One or more hosts already in availability zone(s) ['az-blue'].`);
      const plain = await create();
      assert.equal((await action(plain.id, { add_host: { host: 'cmp2' } })).status, 200);
      assert.equal((await action(plain.id, { remove_host: { host: 'cmp2' } })).status, 200);

      await api.db.updateTable('instances').set({ deleted: 1 }).where('uuid', '=', server).execute();
      const leave = await action(agg.id, { remove_host: { host: 'cmp2' } });
      assert.equal(leave.status, 200);
      assert.deepEqual(await zonesListed(), ['nova']);
      for (const a of [agg, other, plain]) assert.equal((await call('DELETE', `/os-aggregates/${a.id}`)).status, 200);
    });

    test('deleting a compute service takes its host out of every aggregate', async () => {
      const agg = await create();
      assert.equal((await action(agg.id, { add_host: { host: 'cmp3' } })).status, 200);
      const svc = (await call('GET', '/os-services?host=cmp3')).json.services[0];
      assert.equal((await call('DELETE', `/os-services/${svc.id}`)).status, 204);
      assert.deepEqual((await call('GET', `/os-aggregates/${agg.id}`)).json.aggregate.hosts, []);
    });

    test('bad input is a 400 in Nova\'s words, and nothing is created', async () => {
      const before = (await call('GET', '/os-aggregates')).json.aggregates.length;
      const bad: unknown[] = [
        { aggregate: { name: '' } },
        { aggregate: { name: 'x'.repeat(256) } },
        { aggregate: { name: ' padded ' } },
        { aggregate: { name: 'ok', availability_zone: 'zone:host' } },
        { aggregate: { name: 'ok', availability_zone: '' } },
        { aggregate: { name: 'ok', extra: 1 } },
        { aggregate: {} },
        { aggregates: { name: 'ok' } },
        { aggregate: 'ok' },
        null,
      ];
      for (const body of bad) {
        const res = await call('POST', '/os-aggregates', body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.ok(res.json.badRequest.message, JSON.stringify(res.json));
      }
      assert.equal((await call('GET', '/os-aggregates')).json.aggregates.length, before);

      const agg = await create();
      assert.equal((await call('PUT', `/os-aggregates/${agg.id}`, { aggregate: {} })).status, 400);
      assert.equal((await call('PUT', `/os-aggregates/${agg.id}`, { aggregate: { hosts: [] } })).status, 400);
      assert.equal((await action(agg.id, { add_host: { host: 'bad host!' } })).status, 400);
      assert.equal((await action(agg.id, { add_host: {} })).status, 400);
      assert.equal((await action(agg.id, { set_metadata: { metadata: { 'bad/key': 'v' } } })).status, 400);
      assert.equal((await action(agg.id, { set_metadata: { metadata: { k: 'v'.repeat(256) } } })).status, 400);
      const noSuch = await action(agg.id, { explode: {} });
      assert.equal(noSuch.status, 400);
      assert.equal(noSuch.json.badRequest.message, 'There is no such action: explode');

      const notInt = await call('GET', '/os-aggregates/abc');
      assert.equal(notInt.status, 400);
      assert.equal(notInt.json.badRequest.message, 'Invalid input received: id must be an integer');
      assert.equal((await call('DELETE', '/os-aggregates/1.5')).status, 400);
      assert.equal((await action('abc', { add_host: { host: 'cmp1' } })).status, 400);
      assert.equal((await call('GET', '/os-aggregates/99999999999999999999')).status, 404);
      const missing = await call('GET', '/os-aggregates/424242');
      assert.equal(missing.json.itemNotFound.message, 'Aggregate 424242 could not be found.');
      // Image pre-caching arrived at 2.81; below it there is no such resource.
      assert.equal((await call('POST', `/os-aggregates/${agg.id}/images`, { cache: [{ id: '6a5f2b3c-1111-4c2d-8e9f-0a1b2c3d4e5f' }] })).status, 404);
    });

    test('only administrators may use aggregates: member, reader and another project get 403', async () => {
      const agg = await create();
      for (const who of ['demo', 'reader', 'other'] as const) {
        const attempts = [
          await call('GET', '/os-aggregates', undefined, who),
          await call('GET', `/os-aggregates/${agg.id}`, undefined, who),
          await call('POST', '/os-aggregates', { aggregate: { name: `by-${who}` } }, who),
          await call('PUT', `/os-aggregates/${agg.id}`, { aggregate: { name: `by-${who}` } }, who),
          await call('DELETE', `/os-aggregates/${agg.id}`, undefined, who),
          await action(agg.id, { add_host: { host: 'cmp1' } }, who),
          await action(agg.id, { remove_host: { host: 'cmp1' } }, who),
          await action(agg.id, { set_metadata: { metadata: { a: 'b' } } }, who),
        ];
        assert.deepEqual(attempts.map((r) => r.status), Array(attempts.length).fill(403), who);
      }
      const after = (await call('GET', `/os-aggregates/${agg.id}`)).json.aggregate;
      assert.equal(after.name, agg.name);
      assert.deepEqual(after.hosts, []);
      assert.deepEqual(after.metadata, {});
    });
  });
}
