import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_AUTH } from '../helpers/auth.js';
import { hypervisorView } from '../../src/compute/api/views/hypervisors.js';
import { buildComputeApi, headers, seedComputeNode, seedInstance, seedService, targets, type TestApi } from './app.js';

for (const target of targets) {
  describe(`hypervisors (${target.name})`, () => {
    let api: TestApi;
    let node1: { id: number; uuid: string };
    let node2: { id: number; uuid: string };
    let svc1: { id: number; uuid: string };
    let vm: string;
    before(async () => {
      api = await buildComputeApi(target);
      svc1 = await seedService(api.db, { host: 'cmp1', binary: 'nova-compute' });
      await seedService(api.db, { host: 'cmp2', binary: 'nova-compute', disabled: true, lastSeenAgo: 3600 });
      node1 = await seedComputeNode(api.db, 'cmp1', 'cmp1.example');
      node2 = await seedComputeNode(api.db, 'cmp2', 'cmp2.example');
      // A node whose service was deleted is not listed.
      await seedComputeNode(api.db, 'orphan', 'orphan.example');
      vm = await seedInstance(api.db, { projectId: TEST_AUTH.demo.projectId, host: 'cmp1', name: 'web' });
    });
    after(async () => api.close());

    const get = (url: string, version?: string, who: 'admin' | 'demo' = 'admin') =>
      api.app.inject({ method: 'GET', url: `/compute/v2.1${url}`, headers: headers(who, version) });

    test('list at 2.1: integer ids, state from heartbeat, status from the service', async () => {
      const res = await get('/os-hypervisors');
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), {
        hypervisors: [
          { id: node1.id, hypervisor_hostname: 'cmp1.example', state: 'up', status: 'enabled' },
          { id: node2.id, hypervisor_hostname: 'cmp2.example', state: 'down', status: 'disabled' },
        ],
      });
    });

    test('detail before 2.28 has cpu_info as text; 2.28 as an object; 2.53 uuids', async () => {
      const d21 = (await get('/os-hypervisors/detail')).json().hypervisors[0];
      assert.equal(typeof d21.cpu_info, 'string');
      assert.equal(d21.free_ram_mb, 16384 - 1024);
      assert.equal(d21.free_disk_gb, 90);
      assert.deepEqual(d21.service, { id: svc1.id, host: 'cmp1', disabled_reason: null });
      assert.equal(d21.hypervisor_type, 'fake');
      const d228 = (await get('/os-hypervisors/detail', '2.28')).json().hypervisors[0];
      assert.deepEqual(d228.cpu_info, { arch: 'x86_64', model: 'Nehalem' });
      const d253 = (await get('/os-hypervisors/detail', '2.53')).json().hypervisors[0];
      assert.equal(d253.id, node1.uuid);
      assert.equal(d253.service.id, svc1.uuid);
    });

    test('2.33 pages with limit/marker and a next link', async () => {
      const page = (await get('/os-hypervisors?limit=1', '2.33')).json();
      assert.equal(page.hypervisors.length, 1);
      assert.equal(page.hypervisors_links[0].href, `http://localhost:80/compute/v2.1/os-hypervisors?limit=1&marker=${node1.id}`);
      const next = (await get(`/os-hypervisors?limit=1&marker=${node1.id}`, '2.33')).json();
      assert.equal(next.hypervisors[0].id, node2.id);
      assert.equal((await get('/os-hypervisors?marker=999999', '2.33')).statusCode, 400);
      const p253 = (await get(`/os-hypervisors?limit=1&marker=${node1.uuid}`, '2.53')).json();
      assert.equal(p253.hypervisors[0].id, node2.uuid);
    });

    test('2.53 filters by hostname pattern and shows servers on request', async () => {
      const res = (await get('/os-hypervisors?hypervisor_hostname_pattern=cmp1&with_servers=true', '2.53')).json();
      assert.deepEqual(res.hypervisors, [
        { id: node1.uuid, hypervisor_hostname: 'cmp1.example', state: 'up', status: 'enabled', servers: [{ name: 'web', uuid: vm }] },
      ]);
      const empty = (await get('/os-hypervisors?hypervisor_hostname_pattern=cmp2&with_servers=1', '2.75')).json();
      assert.deepEqual(empty.hypervisors[0].servers, []);
      assert.equal((await get('/os-hypervisors?hypervisor_hostname_pattern=nomatch', '2.53')).statusCode, 404);
      assert.equal((await get('/os-hypervisors?hypervisor_hostname_pattern=cmp&limit=1', '2.53')).statusCode, 400);
      assert.equal((await get('/os-hypervisors?with_servers=perhaps', '2.53')).statusCode, 400);
      assert.equal((await get('/os-hypervisors?bogus=1', '2.53')).statusCode, 400);
    });

    test('show by integer id before 2.53 and by uuid from it', async () => {
      const v21 = await get(`/os-hypervisors/${node1.id}`);
      assert.equal(v21.statusCode, 200);
      assert.equal(v21.json().hypervisor.hypervisor_hostname, 'cmp1.example');
      const notInt = await get('/os-hypervisors/abc');
      assert.equal(notInt.statusCode, 404);
      assert.equal(notInt.json().itemNotFound.message, "Hypervisor with ID 'abc' could not be found.");
      const v253 = await get(`/os-hypervisors/${node1.uuid}?with_servers=true`, '2.53');
      assert.deepEqual(v253.json().hypervisor.servers, [{ name: 'web', uuid: vm }]);
      const badUuid = await get('/os-hypervisors/12', '2.53');
      assert.equal(badUuid.statusCode, 400);
      assert.equal(badUuid.json().badRequest.message, 'Invalid uuid 12');
      assert.equal((await get('/os-hypervisors/99999')).statusCode, 404);
    });

    test('statistics sum enabled compute nodes', async () => {
      const res = await get('/os-hypervisors/statistics');
      assert.deepEqual(res.json().hypervisor_statistics, {
        count: 1, vcpus: 8, memory_mb: 16384, local_gb: 100, vcpus_used: 2, memory_mb_used: 1024, local_gb_used: 10,
        free_ram_mb: 15360, free_disk_gb: 90, current_workload: 0, running_vms: 1, disk_available_least: 90,
      });
    });

    test('pre-2.53 search and servers routes', async () => {
      const search = (await get('/os-hypervisors/example/search')).json().hypervisors;
      assert.deepEqual(search.map((h: { hypervisor_hostname: string }) => h.hypervisor_hostname), ['cmp1.example', 'cmp2.example']);
      const servers = (await get('/os-hypervisors/cmp1/servers')).json().hypervisors;
      assert.deepEqual(servers[0].servers, [{ name: 'web', uuid: vm }]);
      assert.equal((await get('/os-hypervisors/zzz/search')).statusCode, 404);
      assert.equal((await get('/os-hypervisors/cmp1/search', '2.53')).statusCode, 404);
    });

    test('uptime: the summary view with the host\'s uptime line; a down host is 400; admins only', async () => {
      const res = await get(`/os-hypervisors/${node1.id}/uptime`);
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { hypervisor: {
        id: node1.id, hypervisor_hostname: 'cmp1.example', state: 'up', status: 'enabled',
        uptime: ' 10:00:00 up 3 min,  0 users,  load average: 0.00, 0.00, 0.00',
      } });
      const at253 = await get(`/os-hypervisors/${node1.uuid}/uptime`, '2.53');
      assert.equal(at253.json().hypervisor.id, node1.uuid);
      const down = await get(`/os-hypervisors/${node2.id}/uptime`);
      assert.equal(down.statusCode, 400);
      assert.equal(down.json().badRequest.message, 'Compute service of cmp2 is unavailable at this time.');
      assert.equal((await get('/os-hypervisors/424242/uptime')).statusCode, 404);
      assert.equal((await get(`/os-hypervisors/${node1.id}/uptime`, undefined, 'demo')).statusCode, 403);
    });

    test('the 2.88 detail view has the uptime (null when unknown) and no resource figures', async () => {
      const [n1, n2] = await api.db.selectFrom('compute_nodes').selectAll().where('host', 'in', ['cmp1', 'cmp2']).orderBy('id').execute();
      const [s1, s2] = await api.db.selectFrom('services').selectAll().where('host', 'in', ['cmp1', 'cmp2']).orderBy('id').execute();
      const at288 = () => true;
      const up = hypervisorView(n1!, s1!, { atLeast: at288, conf: api.conf, detail: true, uptime: 'line' });
      assert.deepEqual(Object.keys(up).sort(), ['host_ip', 'hypervisor_hostname', 'hypervisor_type', 'hypervisor_version', 'id', 'service', 'state', 'status', 'uptime']);
      assert.equal(up.uptime, 'line');
      assert.equal(hypervisorView(n2!, s2!, { atLeast: at288, conf: api.conf, detail: true }).uptime, null);
      const before = hypervisorView(n1!, s1!, { atLeast: (v) => v !== '2.88', conf: api.conf, detail: true });
      assert.equal(before.uptime, undefined);
      assert.equal(before.vcpus, 8);
    });

    test('demo cannot list or show hypervisors', async () => {
      for (const url of ['/os-hypervisors', '/os-hypervisors/detail', '/os-hypervisors/statistics', `/os-hypervisors/${node1.id}`]) {
        const res = await get(url, undefined, 'demo');
        assert.equal(res.statusCode, 403, url);
        assert.match(res.json().forbidden.message, /^Policy doesn't allow os_compute_api:os-hypervisors:/);
      }
    });
  });
}
