/**
 * lock / unlock, os-resetState, changePassword and trigger_crash_dump through
 * the API, on the fake hypervisor: what each changes, the instance action and
 * events it records, the notifications it sends, and the 400 / 403 / 404 / 409
 * answers Nova gives.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { functionalSuite, inProcessOnly, startFunctionalCloud, type FunctionalCloud, type NotificationLog } from '../helpers/functional-cloud.js';
import { DriverNotSupported } from '../../src/virt/driver.js';
import { actionStatusWithToken, bootActive, readerToken, uploadImage, V237, computeVersion as mv } from './fixtures.js';

describe(...functionalSuite('server admin actions'), () => {
  let cloud: FunctionalCloud;
  let image: string;
  let reader: string;
  let notifications: NotificationLog;

  const act = (id: string, body: unknown, who: 'admin' | 'demo' = 'demo', headers: Record<string, string> = {}) =>
    cloud.request('POST', `/compute/v2.1/servers/${id}/action`, { who, body, headers });
  const actAsReader = async (id: string, body: unknown) => ({ status: await actionStatusWithToken(cloud, reader, id, body) });
  const show = async (id: string, version = '2.73', who: 'admin' | 'demo' = 'demo') => (await cloud.request('GET', `/compute/v2.1/servers/${id}`, { who, headers: mv(version) })).json.server;
  const actionOf = async (id: string, requestId: string | null) => {
    const res = await cloud.request('GET', `/compute/v2.1/servers/${id}/os-instance-actions/${requestId}`);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return res.json.instanceAction;
  };
  const boot = (name: string) => bootActive(cloud, { name, imageRef: image, flavorRef: '1', networks: 'none' }, 'demo', V237);

  before(async () => {
    cloud = await startFunctionalCloud();
    image = await uploadImage(cloud);
    reader = await readerToken(cloud);
    notifications = await cloud.collectNotifications();
  });
  after(async () => cloud?.close());

  test('the owner locks with a reason (2.73): the server shows it, refuses the owner\'s actions with 409, not the admin\'s', async () => {
    const server = await boot('lockme');
    const lock = await act(server.id, { lock: { locked_reason: 'maintenance' } }, 'demo', mv('2.73'));
    assert.equal(lock.status, 202, JSON.stringify(lock.json));
    const rid = lock.headers.get('x-compute-request-id');
    const shown = await show(server.id);
    assert.equal(shown.locked, true);
    assert.equal(shown.locked_reason, 'maintenance');
    const at29 = await show(server.id, '2.9');
    assert.equal(at29.locked, true);
    assert.equal('locked_reason' in at29, false);
    assert.equal('locked' in (await show(server.id, '2.8')), false);

    const action = await actionOf(server.id, rid);
    assert.equal(action.action, 'lock');
    assert.deepEqual(action.events.map((e: any) => `${e.event}:${e.result}`), ['api_lock:Success']);
    assert.deepEqual(await notifications.eventTypesOf(rid, 1), ['instance.lock']);
    assert.equal(notifications.of(rid)[0].payload['nova_object.data'].locked, true);

    for (const body of [{ 'os-stop': null }, { pause: null }, { changePassword: { adminPass: 'x' } }]) {
      const refused = await act(server.id, body);
      assert.equal(refused.status, 409, JSON.stringify(body));
      assert.match(refused.json.conflictingRequest.message, /is locked/);
    }
    const del = await cloud.request('DELETE', `/compute/v2.1/servers/${server.id}`, { who: 'demo' });
    assert.equal(del.status, 409);
    // An administrator acts on a locked server.
    assert.equal((await act(server.id, { 'os-stop': null }, 'admin')).status, 202);
    await cloud.waitForServer(server.id, 'SHUTOFF', 'demo');

    const unlock = await act(server.id, { unlock: null });
    assert.equal(unlock.status, 202);
    assert.equal((await actionOf(server.id, unlock.headers.get('x-compute-request-id'))).action, 'unlock');
    const after = await show(server.id);
    assert.equal(after.locked, false);
    assert.equal(after.locked_reason, null);
    assert.equal((await act(server.id, { 'os-start': null })).status, 202);
    await cloud.waitForServer(server.id, 'ACTIVE', 'demo');
  });

  test('a lock set by an administrator is lifted only with unlock_override (403 for the owner)', async () => {
    const server = await boot('adminlock');
    assert.equal((await act(server.id, { lock: null }, 'admin', mv('2.73'))).status, 202);
    // The owner's lock on an admin-locked server is no-op-free: it stays the administrator's.
    const ownerUnlock = await act(server.id, { unlock: {} });
    assert.equal(ownerUnlock.status, 403);
    assert.match(ownerUnlock.json.forbidden.message, /unlock_override/);
    assert.equal((await show(server.id)).locked, true);
    assert.equal((await act(server.id, { unlock: {} }, 'admin')).status, 202);
    assert.equal((await show(server.id)).locked, false);
  });

  test('lock: 400 in Nova\'s schema-error style from 2.73; before it the body is not checked and no reason is kept', async () => {
    const server = await boot('lockschema');
    for (const bad of [{ lock: { locked_reason: '' } }, { lock: { locked_reason: 'x'.repeat(256) } }, { lock: { other: 1 } }, { lock: 'yes' }]) {
      const res = await act(server.id, bad, 'demo', mv('2.73'));
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.match(res.json.badRequest.message, /Invalid input for field\/attribute|Additional properties are not allowed/);
    }
    const old = await act(server.id, { lock: { locked_reason: 'ignored' } }, 'demo', mv('2.72'));
    assert.equal(old.status, 202);
    const shown = await show(server.id);
    assert.equal(shown.locked, true);
    assert.equal(shown.locked_reason, null);
    assert.equal((await act(server.id, { unlock: null })).status, 202);
  });

  test('lock and unlock policy: a reader gets 403, another project 404', async () => {
    const server = await boot('lockpolicy');
    assert.equal((await actAsReader(server.id, { lock: null })).status, 403);
    const adminServer = await bootActive(cloud, { name: 'admins', imageRef: image, flavorRef: '1', networks: 'none' }, 'admin', V237);
    assert.equal((await act(adminServer.id, { lock: null })).status, 404);
    assert.equal((await act(adminServer.id, { unlock: null })).status, 404);
    assert.equal((await act('00000000-0000-4000-8000-000000000000', { lock: null })).status, 404);
  });

  test('os-resetState: an administrator sets error or active, clearing the task; members get 403, bad states 400', async () => {
    const server = await boot('reset');
    const reset = await act(server.id, { 'os-resetState': { state: 'error' } }, 'admin');
    assert.equal(reset.status, 202);
    const errored = await show(server.id);
    assert.equal(errored.status, 'ERROR');
    assert.equal(errored['OS-EXT-STS:vm_state'], 'error');
    assert.equal(errored['OS-EXT-STS:task_state'], null);
    const action = await actionOf(server.id, reset.headers.get('x-compute-request-id'));
    assert.equal(action.action, 'resetState');
    assert.equal((await act(server.id, { 'os-resetState': { state: 'active' } }, 'demo')).status, 403);
    for (const bad of [{ 'os-resetState': { state: 'stopped' } }, { 'os-resetState': {} }, { 'os-resetState': { state: 'active', x: 1 } }]) {
      assert.equal((await act(server.id, bad, 'admin')).status, 400, JSON.stringify(bad));
    }
    assert.equal((await act(server.id, { 'os-resetState': { state: 'active' } }, 'admin')).status, 202);
    assert.equal((await show(server.id)).status, 'ACTIVE');
  });

  test('changePassword reaches the hypervisor and records its event; 409 when stopped, 400 on a bad body, 403 for a reader', async () => {
    const server = await boot('password');
    const res = await act(server.id, { changePassword: { adminPass: 'n3w-Secret' } });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    assert.equal(res.json, undefined, 'no body');
    const action = await actionOf(server.id, res.headers.get('x-compute-request-id'));
    assert.equal(action.action, 'changePassword');
    assert.deepEqual(action.events.map((e: any) => `${e.event}:${e.result}`), ['compute_set_admin_password:Success']);
    // The fake driver's call log is readable only where the driver runs in this process.
    if (cloud.allInOne) assert.ok(cloud.allInOne.fakeDriver!.calls.some((c) => c.uuid === server.id && c.method === 'setAdminPassword'));
    const after = await show(server.id, '2.73', 'admin');
    assert.equal(after.status, 'ACTIVE');
    assert.equal(after['OS-EXT-STS:task_state'], null);

    for (const bad of [{ changePassword: {} }, { changePassword: { adminPass: 5 } }, { changePassword: { adminPass: 'a', extra: 1 } }, { changePassword: null }]) {
      const r = await act(server.id, bad);
      assert.equal(r.status, 400, JSON.stringify(bad));
      assert.equal(r.json.badRequest.code, 400);
    }
    assert.equal((await actAsReader(server.id, { changePassword: { adminPass: 'x' } })).status, 403);

    assert.equal((await act(server.id, { 'os-stop': null })).status, 202);
    await cloud.waitForServer(server.id, 'SHUTOFF', 'demo');
    const stopped = await act(server.id, { changePassword: { adminPass: 'x' } });
    assert.equal(stopped.status, 409);
    assert.match(stopped.json.conflictingRequest.message, /Cannot 'changePassword' instance .* while it is in vm_state stopped/);
  });

  test('changePassword on a hypervisor that cannot set passwords is 501, and the server is left ACTIVE', inProcessOnly('replaces the fake driver\'s setAdminPassword'), async () => {
    const server = await boot('password-unsupported');
    const fake = cloud.allInOne!.fakeDriver!;
    const original = fake.setAdminPassword;
    fake.setAdminPassword = async () => { throw new DriverNotSupported('setting the admin password'); };
    try {
      const res = await act(server.id, { changePassword: { adminPass: 'x' } });
      assert.equal(res.status, 501);
      assert.equal(res.json.notImplemented.message, 'Unable to set password on instance');
    } finally {
      fake.setAdminPassword = original;
    }
    const after = await show(server.id, '2.73', 'admin');
    assert.equal(after.status, 'ACTIVE');
    assert.equal(after['OS-EXT-STS:task_state'], null);
  });

  test('trigger_crash_dump (2.17) sends the guest an NMI; unknown before 2.17; 400 on a body, 403 for a reader, 409 when stopped or locked', async () => {
    const server = await boot('crash');
    assert.equal((await act(server.id, { trigger_crash_dump: null }, 'demo', mv('2.16'))).status, 404);
    assert.equal((await act(server.id, { trigger_crash_dump: {} }, 'demo', mv('2.17'))).status, 400);
    assert.equal(await actionStatusWithToken(cloud, reader, server.id, { trigger_crash_dump: null }, '2.17'), 403);
    const res = await act(server.id, { trigger_crash_dump: null }, 'demo', mv('2.17'));
    assert.equal(res.status, 202);
    const rid = res.headers.get('x-compute-request-id');
    const deadline = Date.now() + 5000;
    let action: any;
    while (Date.now() < deadline) {
      action = await actionOf(server.id, rid);
      if (action.events.some((e: any) => e.finish_time)) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(action.action, 'trigger_crash_dump');
    assert.deepEqual(action.events.map((e: any) => `${e.event}:${e.result}`), ['compute_trigger_crash_dump:Success']);
    assert.deepEqual(await notifications.eventTypesOf(rid, 2), ['instance.trigger_crash_dump.start', 'instance.trigger_crash_dump.end']);
    const console = await act(server.id, { 'os-getConsoleOutput': {} });
    assert.match(console.json.output, /NMI received/);
    assert.equal((await show(server.id)).status, 'ACTIVE');

    assert.equal((await act(server.id, { lock: null }, 'admin')).status, 202);
    assert.equal((await act(server.id, { trigger_crash_dump: null }, 'demo', mv('2.17'))).status, 409);
    assert.equal((await act(server.id, { unlock: null }, 'admin')).status, 202);
    assert.equal((await act(server.id, { 'os-stop': null })).status, 202);
    await cloud.waitForServer(server.id, 'SHUTOFF', 'demo');
    const stopped = await act(server.id, { trigger_crash_dump: null }, 'demo', mv('2.17'));
    assert.equal(stopped.status, 409);
    assert.match(stopped.json.conflictingRequest.message, /trigger_crash_dump/);
  });
});
