import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_AUTH } from '../helpers/auth.js';
import { buildComputeApi, headers, seedComputeNode, seedInstance, seedService, targets, type TestApi } from './app.js';

for (const target of targets) {
  describe(`services (${target.name})`, () => {
    let api: TestApi;
    let cond: { id: number; uuid: string };
    let cmp1: { id: number; uuid: string };
    let cmp2: { id: number; uuid: string };
    before(async () => {
      api = await buildComputeApi(target);
      cond = await seedService(api.db, { host: 'ctl', binary: 'nova-conductor' });
      await seedService(api.db, { host: 'ctl', binary: 'nova-osapi_compute' });
      cmp1 = await seedService(api.db, { host: 'cmp1', binary: 'nova-compute' });
      cmp2 = await seedService(api.db, { host: 'cmp2', binary: 'nova-compute', forcedDown: true });
      await seedComputeNode(api.db, 'cmp1');
      await seedComputeNode(api.db, 'cmp2');
      await seedInstance(api.db, { projectId: TEST_AUTH.demo.projectId, host: 'cmp1' });
    });
    after(async () => api.close());

    const call = (method: 'GET' | 'PUT' | 'DELETE', url: string, version?: string, payload?: unknown, who: 'admin' | 'demo' = 'admin') =>
      api.app.inject({ method, url: `/compute/v2.1${url}`, headers: headers(who, version), ...(payload === undefined ? {} : { payload: payload as object }) });

    test('list hides API services; 2.11 adds forced_down; 2.53 uuids', async () => {
      const v21 = (await call('GET', '/os-services')).json().services;
      assert.deepEqual(v21.map((s: { binary: string; host: string }) => `${s.binary}@${s.host}`), ['nova-conductor@ctl', 'nova-compute@cmp1', 'nova-compute@cmp2']);
      const c1 = v21[1];
      assert.equal(c1.id, cmp1.id);
      assert.equal(c1.zone, 'nova');
      assert.equal(v21[0].zone, 'internal');
      assert.equal(c1.state, 'up');
      assert.equal(c1.status, 'enabled');
      assert.ok(!('forced_down' in c1));
      assert.equal(v21[2].state, 'down');
      const v211 = (await call('GET', '/os-services', '2.11')).json().services;
      assert.equal(v211[2].forced_down, true);
      const v253 = (await call('GET', '/os-services?binary=nova-compute&host=cmp1', '2.53')).json().services;
      assert.equal(v253.length, 1);
      assert.equal(v253[0].id, cmp1.uuid);
      assert.equal((await call('GET', '/os-services?bogus=1', '2.75')).statusCode, 400);
    });

    test('pre-2.53 actions: disable-log-reason, enable, force-down', async () => {
      const dis = await call('PUT', '/os-services/disable-log-reason', undefined, { host: 'cmp1', binary: 'nova-compute', disabled_reason: 'maint' });
      assert.equal(dis.statusCode, 200);
      assert.deepEqual(dis.json(), { service: { host: 'cmp1', binary: 'nova-compute', status: 'disabled', disabled_reason: 'maint' } });
      const listed = (await call('GET', '/os-services?host=cmp1')).json().services[0];
      assert.equal(listed.status, 'disabled');
      assert.equal(listed.disabled_reason, 'maint');
      const en = await call('PUT', '/os-services/enable', undefined, { host: 'cmp1', binary: 'nova-compute' });
      assert.deepEqual(en.json(), { service: { host: 'cmp1', binary: 'nova-compute', status: 'enabled' } });
      const fd = await call('PUT', '/os-services/force-down', '2.11', { host: 'cmp2', binary: 'nova-compute', forced_down: false });
      assert.deepEqual(fd.json(), { service: { host: 'cmp2', binary: 'nova-compute', forced_down: false } });
      // force-down does not exist before 2.11: an unknown action, and forced_down an unknown field.
      assert.equal((await call('PUT', '/os-services/force-down', '2.10', { host: 'cmp2', binary: 'nova-compute' })).statusCode, 404);
      assert.equal((await call('PUT', '/os-services/force-down', '2.10', { host: 'cmp2', binary: 'nova-compute', forced_down: true })).statusCode, 400);
      assert.equal((await call('PUT', '/os-services/force-down', '2.11', { host: 'cmp2', binary: 'nova-compute' })).statusCode, 400);
      const missingReason = await call('PUT', '/os-services/disable-log-reason', undefined, { host: 'cmp1', binary: 'nova-compute' });
      assert.equal(missingReason.json().badRequest.message, 'Missing disabled reason field');
      assert.equal((await call('PUT', '/os-services/reboot', undefined, { host: 'cmp1', binary: 'nova-compute' })).statusCode, 404);
      const notCompute = await call('PUT', '/os-services/disable', undefined, { host: 'ctl', binary: 'nova-conductor' });
      assert.equal(notCompute.statusCode, 400);
      assert.equal(notCompute.json().badRequest.message, 'Updating a nova-conductor service is not supported. Only nova-compute services can be updated.');
      const missing = await call('PUT', '/os-services/disable', undefined, { host: 'nohost', binary: 'nova-compute' });
      assert.equal(missing.statusCode, 404);
      assert.equal((await call('PUT', '/os-services/disable', undefined, { host: 'cmp1' })).statusCode, 400);
    });

    test('2.53 PUT by uuid sets status, reason and forced_down and returns the service', async () => {
      const res = await call('PUT', `/os-services/${cmp1.uuid}`, '2.53', { status: 'disabled', disabled_reason: 'upgrade', forced_down: true });
      assert.equal(res.statusCode, 200);
      const s = res.json().service;
      assert.equal(s.id, cmp1.uuid);
      assert.equal(s.status, 'disabled');
      assert.equal(s.disabled_reason, 'upgrade');
      assert.equal(s.forced_down, true);
      assert.equal(s.state, 'down');
      const back = (await call('PUT', `/os-services/${cmp1.uuid}`, '2.53', { status: 'enabled', forced_down: false })).json().service;
      assert.equal(back.state, 'up');
      assert.equal(back.disabled_reason, null);
      for (const [body, message] of [
        [{}, "No updates were requested. Fields 'status' or 'forced_down' should be specified."],
        [{ disabled_reason: 'x' }, "No updates were requested. Fields 'status' or 'forced_down' should be specified."],
        [{ status: 'enabled', disabled_reason: 'x' }, "Specifying 'disabled_reason' with status 'enabled' is invalid."],
      ] as const) {
        const r = await call('PUT', `/os-services/${cmp1.uuid}`, '2.53', body);
        assert.equal(r.statusCode, 400);
        assert.equal(r.json().badRequest.message, message);
      }
      assert.equal((await call('PUT', `/os-services/${cmp1.uuid}`, '2.53', { status: 'sleeping' })).statusCode, 400);
      assert.equal((await call('PUT', '/os-services/not-a-uuid', '2.53', { status: 'enabled' })).statusCode, 400);
      assert.equal((await call('PUT', `/os-services/${cond.uuid}`, '2.53', { status: 'disabled' })).statusCode, 400);
      assert.equal((await call('PUT', '/os-services/00000000-0000-0000-0000-000000000000', '2.53', { status: 'enabled' })).statusCode, 404);
    });

    test('delete refuses a compute that hosts instances and removes an empty one with its nodes', async () => {
      const busy = await call('DELETE', `/os-services/${cmp1.id}`);
      assert.equal(busy.statusCode, 409);
      assert.equal(busy.json().conflictingRequest.message, 'Unable to delete compute service that is hosting instances. Migrate or delete the instances first.');
      assert.equal((await call('DELETE', '/os-services/abc')).statusCode, 400);
      assert.equal((await call('DELETE', `/os-services/${cmp2.id}`, '2.53')).statusCode, 400);
      const res = await call('DELETE', `/os-services/${cmp2.uuid}`, '2.53');
      assert.equal(res.statusCode, 204);
      assert.ok(!(await call('GET', '/os-services')).json().services.some((s: { host: string }) => s.host === 'cmp2'));
      const nodes = await api.db.selectFrom('compute_nodes').select('host').where('deleted', '=', 0).execute();
      assert.deepEqual(nodes.map((n) => n.host), ['cmp1']);
      assert.equal((await call('DELETE', `/os-services/${cmp2.uuid}`, '2.53')).statusCode, 404);
    });

    test('demo cannot list, update or delete services', async () => {
      assert.equal((await call('GET', '/os-services', undefined, undefined, 'demo')).statusCode, 403);
      assert.equal((await call('PUT', '/os-services/enable', undefined, { host: 'cmp1', binary: 'nova-compute' }, 'demo')).statusCode, 403);
      assert.equal((await call('DELETE', `/os-services/${cond.id}`, undefined, undefined, 'demo')).statusCode, 403);
    });
  });
}
