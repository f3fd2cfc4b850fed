/** 2.88: the hypervisor views lose their resource figures and gain uptime; statistics and uptime routes are gone. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildComputeApi, headers, seedComputeNode, seedService, targets, type TestApi } from './app.js';

const FIGURES = ['vcpus', 'memory_mb', 'local_gb', 'vcpus_used', 'memory_mb_used', 'local_gb_used', 'free_ram_mb', 'free_disk_gb',
  'current_workload', 'running_vms', 'disk_available_least', 'cpu_info'];

for (const target of targets) {
  describe(`hypervisors at 2.88 (${target.name})`, () => {
    let api: TestApi;
    let node: { id: number; uuid: string };
    before(async () => {
      api = await buildComputeApi(target);
      await seedService(api.db, { host: 'cmp1', binary: 'nova-compute' });
      node = await seedComputeNode(api.db, 'cmp1', 'cmp1.example');
    });
    after(async () => api.close());

    const get = (url: string, version: string, who: 'admin' | 'demo' = 'admin') =>
      api.app.inject({ method: 'GET', url: `/compute/v2.1${url}`, headers: headers(who, version) });

    test('detail and show at 2.87 carry the resource figures and no uptime', async () => {
      for (const h of [(await get('/os-hypervisors/detail', '2.87')).json().hypervisors[0], (await get(`/os-hypervisors/${node.uuid}`, '2.87')).json().hypervisor]) {
        for (const f of FIGURES) assert.ok(f in h, f);
        assert.ok(!('uptime' in h));
      }
    });

    test('detail and show at 2.88 drop them and show the host\'s uptime', async () => {
      const detail = await get('/os-hypervisors/detail', '2.88');
      assert.equal(detail.statusCode, 200);
      const show = await get(`/os-hypervisors/${node.uuid}`, '2.88');
      assert.equal(show.statusCode, 200);
      for (const h of [detail.json().hypervisors[0], show.json().hypervisor]) {
        for (const f of FIGURES) assert.ok(!(f in h), f);
        assert.match(h.uptime, / up /);
        assert.equal(h.hypervisor_type, 'fake');
        assert.equal(h.service.host, 'cmp1');
      }
      // The brief list never had figures and gains nothing.
      assert.deepEqual(Object.keys((await get('/os-hypervisors', '2.88')).json().hypervisors[0]).sort(), ['hypervisor_hostname', 'id', 'state', 'status']);
    });

    test('statistics and uptime are 404 from 2.88, and still there at 2.87', async () => {
      assert.equal((await get('/os-hypervisors/statistics', '2.87')).statusCode, 200);
      assert.equal((await get('/os-hypervisors/statistics', '2.88')).statusCode, 404);
      assert.equal((await get(`/os-hypervisors/${node.uuid}/uptime`, '2.88')).statusCode, 404);
      assert.equal((await get('/os-hypervisors/statistics', '2.88')).json().itemNotFound.code, 404);
    });

    test('a non-admin is refused at 2.88 as before', async () => {
      assert.equal((await get('/os-hypervisors/detail', '2.88', 'demo')).statusCode, 403);
    });
  });
}
