/**
 * Start-up recovery on a compute host (Nova's _init_instance): each server a
 * previous run left mid-way is put where it can leave. The stuck states are
 * written into the records of a stopped cloud, as a killed process leaves
 * them, then the cloud starts again on the same state path.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestCloud, type TestCloud } from '../../helpers/cloud.js';
import type { ComputeDb } from '../../../src/compute/db/tables.js';
import { updateInstance, type InstanceUpdate } from '../../../src/compute/instance-store.js';
import type { DriverInstance } from '../../../src/virt/driver.js';
import { allocationsOf, portsOf, uploadImage } from '../fixtures.js';

const FAULT = /interrupted by a restart of the compute service/;

describe('recovery of interrupted work when a compute host starts', () => {
  let statePath: string;
  let cloud: TestCloud;
  const ids: Record<string, string> = {};
  const createRequest: Record<string, string> = {};

  const db = () => cloud.database.db as ComputeDb;
  const set = async (name: string, values: InstanceUpdate) => assert.ok(await updateInstance(db(), ids[name], values));
  const guest = (name: string) => ({ uuid: ids[name] }) as DriverInstance;
  const server = async (name: string) => (await cloud.request('GET', `/compute/v2.1/servers/${ids[name]}`)).json.server;
  const driverCalls = (name: string) => cloud.fakeDriver!.calls.filter((c) => c.uuid === ids[name]).map((c) => c.method);

  /** Reopens the create action and its build event, as a process killed during the build leaves them. */
  async function reopenBuild(name: string, keepEvent: boolean): Promise<void> {
    const action = await db().selectFrom('instance_actions').select('id').where('instance_uuid', '=', ids[name]).where('action', '=', 'create').executeTakeFirstOrThrow();
    await db().updateTable('instance_actions').set({ finish_time: null }).where('id', '=', action.id).execute();
    if (keepEvent) {
      await db().updateTable('instance_actions_events').set({ finish_time: null, result: null }).where('action_id', '=', action.id).execute();
    } else {
      await db().deleteFrom('instance_actions_events').where('action_id', '=', action.id).execute();
    }
  }

  before(async () => {
    statePath = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-init-instance-'));
    cloud = await startTestCloud({}, { statePath });
    const image = await uploadImage(cloud);
    const names = ['spawning', 'lostCast', 'deleting', 'poweringOff', 'poweringOn', 'rebooting', 'rebootStarted',
      'pausingRunning', 'pausingPaused', 'unpausing', 'suspendingRunning', 'resuming', 'untouched', 'rebuilding', 'snapshotting'];
    for (const name of names) {
      const res = await cloud.request('POST', '/compute/v2.1/servers', { body: { server: { name, imageRef: image, flavorRef: '1', networks: 'auto' } }, headers: { 'openstack-api-version': 'compute 2.37' } });
      assert.equal(res.status, 202, JSON.stringify(res.json));
      ids[name] = res.json.server.id;
      createRequest[name] = res.headers.get('x-compute-request-id')!;
    }
    for (const name of names) await cloud.waitForServer(ids[name], 'ACTIVE');
    for (const [name, action, status] of [['poweringOn', 'os-stop', 'SHUTOFF'], ['unpausing', 'pause', 'PAUSED'], ['resuming', 'suspend', 'SUSPENDED']] as const) {
      assert.equal((await cloud.request('POST', `/compute/v2.1/servers/${ids[name]}/action`, { body: { [action]: null } })).status, 202);
      await cloud.waitForServer(ids[name], status);
    }

    // What a killed process leaves behind, case by case.
    await set('spawning', { vm_state: 'building', task_state: 'spawning', power_state: 0 });
    await reopenBuild('spawning', true);
    await set('lostCast', { vm_state: 'building', task_state: null, power_state: 0 });
    await reopenBuild('lostCast', false);
    await cloud.fakeDriver!.destroy(guest('lostCast'), []);
    await set('deleting', { task_state: 'deleting' });
    await set('poweringOff', { task_state: 'powering-off' });
    await set('poweringOn', { task_state: 'powering-on' });
    await set('rebooting', { task_state: 'rebooting' });
    await set('rebootStarted', { task_state: 'reboot_started' });
    await set('pausingRunning', { task_state: 'pausing' });
    await cloud.fakeDriver!.pause(guest('pausingPaused'));
    await set('pausingPaused', { task_state: 'pausing' });
    await set('unpausing', { task_state: 'unpausing' });
    await set('suspendingRunning', { task_state: 'suspending' });
    await set('resuming', { task_state: 'resuming' });
    await set('rebuilding', { task_state: 'rebuild_spawning' });
    await set('snapshotting', { task_state: 'image_uploading' });

    await cloud.close();
    cloud = await startTestCloud({}, { statePath });
  });

  after(async () => {
    await cloud?.close();
    fs.rmSync(statePath, { recursive: true, force: true });
  });

  test('a server left spawning is ERROR with a fault saying a restart interrupted it, and holds no allocation, port or guest', async () => {
    const s = await server('spawning');
    assert.equal(s.status, 'ERROR');
    assert.equal(s['OS-EXT-STS:task_state'], null);
    assert.match(s.fault.message, FAULT);
    assert.doesNotMatch(s.fault.message, /Error|at \w+ \(/, 'no exception text in the fault');
    assert.deepEqual(await allocationsOf(cloud, ids.spawning), {});
    assert.deepEqual(await portsOf(cloud, ids.spawning), []);
    assert.ok(!(await cloud.fakeDriver!.listInstances()).includes(ids.spawning), 'the half-built guest is destroyed');
    assert.ok(driverCalls('spawning').includes('destroy'));

    const action = (await cloud.request('GET', `/compute/v2.1/servers/${ids.spawning}/os-instance-actions/${createRequest.spawning}`)).json.instanceAction;
    const build = action.events.find((e: any) => e.event === 'compute__do_build_and_run_instance');
    assert.equal(build.result, 'Error');
    assert.ok(build.finish_time);
  });

  test('a server placed on the host whose build never started is ERROR too, with the build step recorded as failed', async () => {
    const s = await server('lostCast');
    assert.equal(s.status, 'ERROR');
    assert.match(s.fault.message, FAULT);
    assert.deepEqual(await allocationsOf(cloud, ids.lostCast), {});
    assert.deepEqual(await portsOf(cloud, ids.lostCast), []);
    const action = (await cloud.request('GET', `/compute/v2.1/servers/${ids.lostCast}/os-instance-actions/${createRequest.lostCast}`)).json.instanceAction;
    assert.deepEqual(action.events.map((e: any) => [e.event, e.result]), [['compute__do_build_and_run_instance', 'Error']]);
  });

  test('a delete in progress is completed: the server, its guest, allocation and ports are gone', async () => {
    assert.equal((await cloud.request('GET', `/compute/v2.1/servers/${ids.deleting}`)).status, 404);
    assert.deepEqual(await allocationsOf(cloud, ids.deleting), {});
    assert.deepEqual(await portsOf(cloud, ids.deleting), []);
    assert.ok(!(await cloud.fakeDriver!.listInstances()).includes(ids.deleting));
  });

  test('an interrupted rebuild leaves the server in ERROR with a fault saying a restart interrupted it', async () => {
    const s = await server('rebuilding');
    assert.equal(s.status, 'ERROR');
    assert.equal(s['OS-EXT-STS:task_state'], null);
    assert.match(s.fault.message, FAULT);
  });

  test('an interrupted snapshot upload is cleared and the server stays ACTIVE', async () => {
    const s = await server('snapshotting');
    assert.equal(s.status, 'ACTIVE');
    assert.equal(s['OS-EXT-STS:task_state'], null);
  });

  test('an interrupted stop is sent again and the server ends SHUTOFF', async () => {
    const s = await server('poweringOff');
    assert.equal(s.status, 'SHUTOFF');
    assert.equal(s['OS-EXT-STS:task_state'], null);
    assert.equal(s['OS-EXT-STS:power_state'], 4);
    assert.deepEqual(driverCalls('poweringOff'), ['powerOff']);
  });

  test('an interrupted start is sent again and the server ends ACTIVE and running', async () => {
    const s = await server('poweringOn');
    assert.equal(s.status, 'ACTIVE');
    assert.equal(s['OS-EXT-STS:task_state'], null);
    assert.equal(s['OS-EXT-STS:power_state'], 1);
    assert.deepEqual(driverCalls('poweringOn'), ['powerOn']);
  });

  test('a soft reboot that had not happened is retried; one already started on a running guest is just cleared', async () => {
    const rebooted = await server('rebooting');
    assert.equal(rebooted.status, 'ACTIVE');
    assert.equal(rebooted['OS-EXT-STS:task_state'], null);
    assert.deepEqual(driverCalls('rebooting'), ['reboot:SOFT']);
    const started = await server('rebootStarted');
    assert.equal(started.status, 'ACTIVE');
    assert.equal(started['OS-EXT-STS:task_state'], null);
    assert.deepEqual(driverCalls('rebootStarted'), []);
  });

  test('an interrupted pause ends as the guest is: ACTIVE when it still runs, PAUSED when it paused', async () => {
    const running = await server('pausingRunning');
    assert.equal(running.status, 'ACTIVE');
    assert.equal(running['OS-EXT-STS:task_state'], null);
    const paused = await server('pausingPaused');
    assert.equal(paused.status, 'PAUSED');
    assert.equal(paused['OS-EXT-STS:task_state'], null);
    assert.equal(paused['OS-EXT-STS:power_state'], 3);
  });

  test('an interrupted unpause of a guest still paused is sent again', async () => {
    const s = await server('unpausing');
    assert.equal(s.status, 'ACTIVE');
    assert.equal(s['OS-EXT-STS:power_state'], 1);
    assert.deepEqual(driverCalls('unpausing'), ['unpause']);
  });

  test('an interrupted suspend of a guest still running is cleared; an interrupted resume is sent again', async () => {
    const suspending = await server('suspendingRunning');
    assert.equal(suspending.status, 'ACTIVE');
    assert.equal(suspending['OS-EXT-STS:task_state'], null);
    assert.deepEqual(driverCalls('suspendingRunning'), []);
    const resumed = await server('resuming');
    assert.equal(resumed.status, 'ACTIVE');
    assert.equal(resumed['OS-EXT-STS:power_state'], 1);
    assert.deepEqual(driverCalls('resuming'), ['resume']);
  });

  test('a settled server is left as it was, and quota counts exactly the servers that exist', async () => {
    const s = await server('untouched');
    assert.equal(s.status, 'ACTIVE');
    assert.deepEqual(driverCalls('untouched'), []);
    assert.equal(Object.keys(await allocationsOf(cloud, ids.untouched)).length, 1);
    const listed = (await cloud.request('GET', '/compute/v2.1/servers/detail')).json.servers;
    const absolute = (await cloud.request('GET', '/compute/v2.1/limits')).json.limits.absolute;
    assert.equal(absolute.totalInstancesUsed, listed.length);
    assert.equal(listed.length, Object.keys(ids).length - 1, 'every server but the deleted one');
    assert.equal(absolute.totalCoresUsed, listed.length * 1);
  });
});
