/**
 * Separate conductors over a broker do not settle unscheduled builds at start
 * (the broker redelivers a build_instances a dead conductor had taken); with
 * [DEFAULT] instance_build_timeout set, a server still without a host that
 * long after its create goes to ERROR, and a younger one is left to build.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../../helpers/cloud.js';
import { testLogger } from '../../helpers/logger.js';
import type { ComputeDb } from '../../../src/compute/db/tables.js';
import { updateInstance } from '../../../src/compute/instance-store.js';
import { BUILD_TIMED_OUT, recoverUnscheduledInstances } from '../../../src/conductor/tasks/recover-unscheduled.js';
import { allocationsOf, createServer, uploadImage, V237 } from '../../compute/fixtures.js';

describe('unscheduled builds past instance_build_timeout', () => {
  let cloud: TestCloud;
  const db = () => cloud.database.db as ComputeDb;

  before(async () => {
    cloud = await startTestCloud();
  });
  after(() => cloud?.close());

  test('only the server created before the cut-off goes to ERROR, its claim released', async () => {
    const image = await uploadImage(cloud);
    const ids: string[] = [];
    for (const name of ['old', 'young']) {
      const res = await createServer(cloud, { name, imageRef: image, flavorRef: '1', networks: 'none' }, { headers: V237 });
      assert.equal(res.status, 202);
      ids.push(res.json.server.id);
      await cloud.waitForServer(res.json.server.id, 'ACTIVE');
    }
    const [old, young] = ids;
    // As a lost build leaves them: BUILD/scheduling on no host, the scheduler's claim still held.
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    for (const uuid of ids) {
      assert.ok(await updateInstance(db(), uuid, { host: null, node: null, vm_state: 'building', task_state: 'scheduling', launched_at: null }));
    }
    await db().updateTable('instances').set({ created_at: hourAgo }).where('uuid', '=', old).execute();

    const n = await recoverUnscheduledInstances({
      db: db(), placement: cloud.services.placement, network: cloud.services.network, notifier: cloud.services.notifier, logger: testLogger, host: 'controller',
    }, { createdBefore: new Date(Date.now() - 60_000).toISOString() });
    assert.equal(n, 1);

    const s = (await cloud.request('GET', `/compute/v2.1/servers/${old}`)).json.server;
    assert.equal(s.status, 'ERROR');
    assert.equal(s.fault.message, BUILD_TIMED_OUT);
    assert.deepEqual(await allocationsOf(cloud, old), {});
    const y = (await cloud.request('GET', `/compute/v2.1/servers/${young}`)).json.server;
    assert.deepEqual([y.status, y['OS-EXT-STS:task_state']], ['BUILD', 'scheduling']);
    assert.notDeepEqual(await allocationsOf(cloud, young), {});
  });
});
