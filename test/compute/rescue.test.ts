/**
 * rescue / unrescue: RESCUE with the rescue password in the 200 answer, back
 * to ACTIVE on unrescue; events, notifications, 400 / 403 / 404 / 409.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { DriverNotSupported } from '../../src/virt/driver.js';
import { actionStatusWithToken, bootActive, readerToken, uploadImage, V237 } from './fixtures.js';

describe('rescue and unrescue', () => {
  let cloud: TestCloud;
  let image: string;
  let rescueImage: string;
  const notifications: Array<{ event_type: string; payload: any; context: { request_id: string } }> = [];

  before(async () => {
    cloud = await startTestCloud();
    image = await uploadImage(cloud, 'own');
    rescueImage = await uploadImage(cloud, 'rescue-system');
    await cloud.transport.listenFanout('versioned_notifications.info', (b) => void notifications.push(JSON.parse(b)));
  });
  after(async () => cloud?.close());

  const act = (id: string, body: unknown, who: 'admin' | 'demo' = 'demo') => cloud.request('POST', `/compute/v2.1/servers/${id}/action`, { who, body });
  const boot = (name: string) => bootActive(cloud, { name, imageRef: image, flavorRef: '1', networks: 'none' }, 'demo', V237);
  const actionOf = async (id: string, rid: string | null) => (await cloud.request('GET', `/compute/v2.1/servers/${id}/os-instance-actions/${rid}`)).json.instanceAction;

  test('rescue answers 200 with the password, the server goes RESCUE; unrescue brings it back ACTIVE', async () => {
    const server = await boot('rescued');
    const res = await act(server.id, { rescue: { adminPass: 'Resc-ue1', rescue_image_ref: rescueImage } });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(res.json, { adminPass: 'Resc-ue1' });
    const rescued = await cloud.waitForServer(server.id, 'RESCUE', 'demo');
    assert.equal(rescued['OS-EXT-STS:vm_state'], 'rescued');
    assert.equal(rescued['OS-EXT-STS:power_state'], 1);
    assert.equal(cloud.fakeDriver!.isRescued(server.id), true);
    const console = await act(server.id, { 'os-getConsoleOutput': {} });
    assert.match(console.json.output, new RegExp(`rescue boot from image ${rescueImage}`));
    const rid = res.headers.get('x-compute-request-id');
    const action = await actionOf(server.id, rid);
    assert.equal(action.action, 'rescue');
    assert.deepEqual(action.events.map((e: any) => `${e.event}:${e.result}`), ['compute_rescue_instance:Success']);
    assert.deepEqual(notifications.filter((n) => n.context.request_id === rid).map((n) => n.event_type), ['instance.rescue.start', 'instance.rescue.end']);

    // Only unrescue (and delete) apply to a rescued server.
    assert.equal((await act(server.id, { rescue: null })).status, 409);
    assert.equal((await act(server.id, { 'os-stop': null })).status, 409);

    const un = await act(server.id, { unrescue: null });
    assert.equal(un.status, 202);
    await cloud.waitForServer(server.id, 'ACTIVE', 'demo');
    assert.equal(cloud.fakeDriver!.isRescued(server.id), false);
    assert.equal((await actionOf(server.id, un.headers.get('x-compute-request-id'))).action, 'unrescue');
    const again = await act(server.id, { unrescue: null });
    assert.equal(again.status, 409);
    assert.match(again.json.conflictingRequest.message, /Cannot 'unrescue' instance .* while it is in vm_state active/);
  });

  test('rescue without a body generates a password and uses the server\'s own image; a stopped server can be rescued', async () => {
    const server = await boot('stopped-rescue');
    assert.equal((await act(server.id, { 'os-stop': null })).status, 202);
    await cloud.waitForServer(server.id, 'SHUTOFF', 'demo');
    const res = await act(server.id, { rescue: null });
    assert.equal(res.status, 200);
    assert.equal(typeof res.json.adminPass, 'string');
    assert.ok(res.json.adminPass.length >= 8);
    await cloud.waitForServer(server.id, 'RESCUE', 'demo');
    const console = await act(server.id, { 'os-getConsoleOutput': {} });
    assert.match(console.json.output, new RegExp(`rescue boot from image ${image}`));
    assert.equal((await act(server.id, { unrescue: {} })).status, 202);
    await cloud.waitForServer(server.id, 'ACTIVE', 'demo');
  });

  test('400 on a bad body or a rescue image that does not exist; 409 when locked or paused; 404 for another project, 403 for a reader', async () => {
    const server = await boot('rescue-errors');
    for (const bad of [{ rescue: { adminPass: 5 } }, { rescue: { rescue_image_ref: 'nope' } }, { rescue: { other: 1 } }, { rescue: 'x' }]) {
      const res = await act(server.id, bad);
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.equal(res.json.badRequest.code, 400);
    }
    const missing = await act(server.id, { rescue: { rescue_image_ref: '00000000-0000-4000-8000-000000000000' } });
    assert.equal(missing.status, 400);
    assert.equal((await cloud.request('GET', `/compute/v2.1/servers/${server.id}`, { who: 'demo' })).json.server.status, 'ACTIVE');

    assert.equal((await act(server.id, { lock: null }, 'admin')).status, 202);
    assert.equal((await act(server.id, { rescue: null })).status, 409);
    assert.equal((await act(server.id, { unlock: null }, 'admin')).status, 202);
    assert.equal((await act(server.id, { pause: null })).status, 202);
    await cloud.waitForServer(server.id, 'PAUSED', 'demo');
    assert.equal((await act(server.id, { rescue: null })).status, 409);

    const theirs = await bootActive(cloud, { name: 'admins', imageRef: image, flavorRef: '1', networks: 'none' }, 'admin', V237);
    assert.equal((await act(theirs.id, { rescue: null })).status, 404);
    assert.equal((await act(theirs.id, { unrescue: null })).status, 404);
    const reader = await readerToken(cloud);
    assert.equal(await actionStatusWithToken(cloud, reader, server.id, { rescue: null }), 403);
    assert.equal(await actionStatusWithToken(cloud, reader, server.id, { unrescue: null }), 403);
  });

  test('a hypervisor without rescue leaves the server ACTIVE with a fault saying so', async () => {
    const server = await boot('no-rescue');
    const fake = cloud.fakeDriver!;
    const original = fake.rescue;
    fake.rescue = async () => { throw new DriverNotSupported('rescue'); };
    try {
      const res = await act(server.id, { rescue: null });
      assert.equal(res.status, 200);
      const deadline = Date.now() + 5000;
      let shown: any;
      while (Date.now() < deadline) {
        shown = (await cloud.request('GET', `/compute/v2.1/servers/${server.id}`)).json.server;
        if (shown['OS-EXT-STS:task_state'] === null) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.equal(shown.status, 'ACTIVE');
      const action = await actionOf(server.id, res.headers.get('x-compute-request-id'));
      assert.deepEqual(action.events.map((e: any) => `${e.event}:${e.result}`), ['compute_rescue_instance:Error']);
    } finally {
      fake.rescue = original;
    }
  });
});
