/**
 * At conductor start, servers a restart caught before they had a host (BUILD /
 * scheduling, no host) are set to ERROR with a fault, and what the scheduler
 * claimed for them — or a reschedule left behind — is released. The stuck
 * records are written into a stopped cloud, as a killed process leaves them.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestCloud, type TestCloud } from '../../helpers/cloud.js';
import type { ComputeDb } from '../../../src/compute/db/tables.js';
import { updateInstance } from '../../../src/compute/instance-store.js';
import type { DriverInstance } from '../../../src/virt/driver.js';
import { allocationsOf, portsOf, uploadImage } from '../../compute/fixtures.js';

describe('builds a restart interrupted before scheduling', () => {
  let statePath: string;
  let cloud: TestCloud;
  const ids: Record<string, string> = {};
  const requests: Record<string, string> = {};
  const db = () => cloud.database.db as ComputeDb;

  before(async () => {
    statePath = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-unscheduled-'));
    cloud = await startTestCloud({}, { statePath });
    const image = await uploadImage(cloud);
    for (const name of ['scheduling', 'rescheduling']) {
      const res = await cloud.request('POST', '/compute/v2.1/servers', { body: { server: { name, imageRef: image, flavorRef: '1', networks: 'auto' } }, headers: { 'openstack-api-version': 'compute 2.37' } });
      assert.equal(res.status, 202);
      ids[name] = res.json.server.id;
      requests[name] = res.headers.get('x-compute-request-id')!;
      await cloud.waitForServer(ids[name], 'ACTIVE');
    }
    // Both keep the allocation the scheduler claimed; 'rescheduling' also its port (a
    // reschedule between hosts), 'scheduling' only the open scheduling step.
    for (const [name, keepPort] of [['scheduling', false], ['rescheduling', true]] as const) {
      const uuid = ids[name];
      await cloud.fakeDriver!.destroy({ uuid } as DriverInstance, []);
      if (!keepPort) await cloud.services.network.deallocateForInstance(uuid);
      assert.ok(await updateInstance(db(), uuid, { host: null, node: null, vm_state: 'building', task_state: 'scheduling', power_state: 0, launched_at: null }));
      const action = await db().selectFrom('instance_actions').select('id').where('instance_uuid', '=', uuid).executeTakeFirstOrThrow();
      await db().updateTable('instance_actions').set({ finish_time: null }).where('id', '=', action.id).execute();
      await db().deleteFrom('instance_actions_events').where('action_id', '=', action.id).where('event', '!=', 'conductor_schedule_and_build_instances').execute();
      await db().updateTable('instance_actions_events').set({ finish_time: null, result: null }).where('action_id', '=', action.id).execute();
      if (name === 'rescheduling') await db().deleteFrom('instance_actions_events').where('action_id', '=', action.id).execute();
      assert.notDeepEqual(await allocationsOf(cloud, uuid), {});
    }
    assert.equal((await portsOf(cloud, ids.rescheduling)).length, 1);
    await cloud.close();
    cloud = await startTestCloud({}, { statePath });
  });

  after(async () => {
    await cloud?.close();
    fs.rmSync(statePath, { recursive: true, force: true });
  });

  test('a server left scheduling is ERROR with a fault saying a restart interrupted it before it had a host', async () => {
    const s = (await cloud.request('GET', `/compute/v2.1/servers/${ids.scheduling}`)).json.server;
    assert.equal(s.status, 'ERROR');
    assert.equal(s['OS-EXT-STS:task_state'], null);
    assert.match(s.fault.message, /interrupted by a restart of the compute service before a host was chosen/);
    assert.deepEqual(await allocationsOf(cloud, ids.scheduling), {});
    const action = (await cloud.request('GET', `/compute/v2.1/servers/${ids.scheduling}/os-instance-actions/${requests.scheduling}`)).json.instanceAction;
    assert.deepEqual(action.events.map((e: any) => [e.event, e.result]), [['conductor_schedule_and_build_instances', 'Error']]);
    // And the user can be rid of it.
    assert.equal((await cloud.request('DELETE', `/compute/v2.1/servers/${ids.scheduling}`)).status, 204);
    await cloud.waitForServer(ids.scheduling, 'DELETED');
  });

  test('a server caught between hosts by the restart gives back its allocation and its port', async () => {
    const s = (await cloud.request('GET', `/compute/v2.1/servers/${ids.rescheduling}`)).json.server;
    assert.equal(s.status, 'ERROR');
    assert.match(s.fault.message, /interrupted by a restart/);
    assert.deepEqual(await allocationsOf(cloud, ids.rescheduling), {});
    assert.deepEqual(await portsOf(cloud, ids.rescheduling), []);
    const action = (await cloud.request('GET', `/compute/v2.1/servers/${ids.rescheduling}/os-instance-actions/${requests.rescheduling}`)).json.instanceAction;
    assert.deepEqual(action.events.map((e: any) => [e.event, e.result]), [['conductor_schedule_and_build_instances', 'Error']]);
  });
});
