/** GET /servers/{id}/diagnostics: Nova's answers around the compute host's (here a stand-in's) reply. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_AUTH } from '../helpers/auth.js';
import { RemoteError } from '../../src/bus/rpc.js';
import { headers, seedInstance, targets, type TestApi } from './app.js';
import { buildResourcesApi } from './resources-app.js';

const DIAGNOSTICS = {
  state: 'running', driver: 'libvirt', hypervisor: 'fake', hypervisor_os: 'fake-os', uptime: 10, config_drive: false,
  num_cpus: 1, num_nics: 0, num_disks: 1, memory_details: { maximum: 512, used: 256 },
  cpu_details: [{ id: 0, time: 100, utilisation: 10 }], nic_details: [],
  disk_details: [{ read_bytes: 1, read_requests: 2, write_bytes: 3, write_requests: 4, errors_count: 0 }],
};

for (const target of targets) {
  describe(`server diagnostics (${target.name})`, () => {
    let api: TestApi;
    let onHost: string;
    let unsupported: string;
    let noHost: string;
    before(async () => {
      api = await buildResourcesApi(target, {}, {
        getInstanceDiagnostics: async (_ctx, host) => {
          if (host === 'old') throw new RemoteError('DriverNotSupported', 'not here');
          return DIAGNOSTICS as never;
        },
      });
      onHost = await seedInstance(api.db, { projectId: TEST_AUTH.demo.projectId, host: 'h1' });
      unsupported = await seedInstance(api.db, { projectId: TEST_AUTH.demo.projectId, host: 'old' });
      noHost = await seedInstance(api.db, { projectId: TEST_AUTH.demo.projectId });
    });
    after(async () => api.close());

    const get = (id: string, who: 'admin' | 'demo' | 'reader', version?: string) =>
      api.app.inject({ method: 'GET', url: `/compute/v2.1/servers/${id}/diagnostics`, headers: headers(who, version) });

    test('2.48 answers the standard form, unwrapped', async () => {
      const res = await get(onHost, 'admin', '2.48');
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), DIAGNOSTICS);
    });

    test('before 2.48 the flat legacy keys', async () => {
      const res = await get(onHost, 'admin');
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().cpu0_time, 100);
      assert.equal(res.json().memory, 512 * 1024);
      assert.equal(res.json().vda_read, 1);
    });

    test('only admins by default', async () => {
      assert.equal((await get(onHost, 'demo', '2.48')).statusCode, 403);
      assert.equal((await get(onHost, 'reader', '2.48')).statusCode, 403);
    });

    test('409 without a host, 501 from a driver that cannot tell, 404 for no server', async () => {
      const notReady = await get(noHost, 'admin', '2.48');
      assert.equal(notReady.statusCode, 409);
      assert.equal(notReady.json().conflictingRequest.message, `Instance ${noHost} is not ready`);
      const res = await get(unsupported, 'admin', '2.48');
      assert.equal(res.statusCode, 501);
      assert.equal(res.json().notImplemented.message, 'The requested functionality is not supported.');
      assert.equal((await get('00000000-0000-4000-8000-000000000000', 'admin', '2.48')).statusCode, 404);
    });
  });
}
