/**
 * Deferred delete (reclaim_instance_interval > 0): DELETE leaves the server
 * SOFT_DELETED with its guest powered off, restore brings it back, forceDelete
 * removes it at once, and the periodic reclaim removes it after the interval.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { actionStatusWithToken, allocationsOf, bootActive, readerToken, uploadImage, V237 } from './fixtures.js';

const RECLAIM_S = 2;

describe('deferred delete', () => {
  let cloud: TestCloud;
  let image: string;
  const notifications: Array<{ event_type: string; payload: any; context: { request_id: string } }> = [];

  before(async () => {
    cloud = await startTestCloud({ DEFAULT: { reclaim_instance_interval: String(RECLAIM_S) } });
    image = await uploadImage(cloud);
    await cloud.transport.listenFanout('versioned_notifications.info', (b) => void notifications.push(JSON.parse(b)));
  });
  after(async () => cloud?.close());

  const act = (id: string, body: unknown, who: 'admin' | 'demo' = 'demo') => cloud.request('POST', `/compute/v2.1/servers/${id}/action`, { who, body });
  const del = (id: string, who: 'admin' | 'demo' = 'demo') => cloud.request('DELETE', `/compute/v2.1/servers/${id}`, { who });
  const boot = (name: string) => bootActive(cloud, { name, imageRef: image, flavorRef: '1', networks: 'none' }, 'demo', V237);

  test('delete soft-deletes: SOFT_DELETED, guest off, allocation kept; restore brings it back ACTIVE', async () => {
    const server = await boot('soft');
    const res = await del(server.id);
    assert.equal(res.status, 204);
    const rid = res.headers.get('x-compute-request-id');
    const soft = await cloud.waitForServer(server.id, 'SOFT_DELETED', 'demo');
    assert.equal(soft['OS-EXT-STS:vm_state'], 'soft-delete');
    assert.equal(soft['OS-EXT-STS:power_state'], 4);
    assert.ok(Object.keys(await allocationsOf(cloud, server.id)).length > 0, 'the allocation stays while restorable');
    assert.deepEqual(notifications.filter((n) => n.context.request_id === rid).map((n) => n.event_type), ['instance.soft_delete.start', 'instance.soft_delete.end']);
    const delAction = (await cloud.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions/${rid}`)).json.instanceAction;
    assert.equal(delAction.action, 'delete');
    assert.deepEqual(delAction.events.map((e: any) => `${e.event}:${e.result}`), ['compute_soft_delete_instance:Success']);

    // Only restore and forceDelete apply to a soft-deleted server.
    assert.equal((await act(server.id, { 'os-start': null })).status, 409);

    const restore = await act(server.id, { restore: null });
    assert.equal(restore.status, 202);
    const back = await cloud.waitForServer(server.id, 'ACTIVE', 'demo');
    assert.equal(back['OS-EXT-STS:power_state'], 1);
    const action = (await cloud.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions/${restore.headers.get('x-compute-request-id')}`)).json.instanceAction;
    assert.equal(action.action, 'restore');
    assert.deepEqual(action.events.map((e: any) => `${e.event}:${e.result}`), ['compute_restore_instance:Success']);
    assert.deepEqual(cloud.fakeDriver!.calls.filter((c) => c.uuid === server.id).map((c) => c.method), ['spawn', 'powerOff', 'powerOn']);

    // Restoring a server that is not soft-deleted is a 409 in Nova's words.
    const again = await act(server.id, { restore: null });
    assert.equal(again.status, 409);
    assert.match(again.json.conflictingRequest.message, /Cannot 'restore' instance .* while it is in vm_state active/);
  });

  test('forceDelete removes a soft-deleted server at once, and a live one too', async () => {
    const soft = await boot('force-soft');
    assert.equal((await del(soft.id)).status, 204);
    await cloud.waitForServer(soft.id, 'SOFT_DELETED', 'demo');
    assert.equal((await act(soft.id, { forceDelete: null })).status, 202);
    await cloud.waitForServer(soft.id, 'DELETED', 'demo');
    assert.deepEqual(await allocationsOf(cloud, soft.id), {});

    const live = await boot('force-live');
    assert.equal((await act(live.id, { forceDelete: {} })).status, 202);
    await cloud.waitForServer(live.id, 'DELETED', 'demo');
  });

  test('a locked soft-deleted server refuses restore and forceDelete to its owner (409), not to an administrator', async () => {
    const server = await boot('locked-soft');
    assert.equal((await del(server.id)).status, 204);
    await cloud.waitForServer(server.id, 'SOFT_DELETED', 'demo');
    assert.equal((await act(server.id, { lock: null }, 'admin')).status, 202);
    assert.equal((await act(server.id, { restore: null })).status, 409);
    assert.equal((await act(server.id, { forceDelete: null })).status, 409);
    assert.equal((await act(server.id, { restore: {} }, 'admin')).status, 202);
    await cloud.waitForServer(server.id, 'ACTIVE', 'demo');
  });

  test('restore and forceDelete: 400 on a body that is not an object, 404 for another project, 403 for a reader', async () => {
    const server = await boot('bad-bodies');
    assert.equal((await act(server.id, { restore: 'now' })).status, 400);
    assert.equal((await act(server.id, { forceDelete: [1] })).status, 400);
    const theirs = await bootActive(cloud, { name: 'admins', imageRef: image, flavorRef: '1', networks: 'none' }, 'admin', V237);
    assert.equal((await act(theirs.id, { restore: null })).status, 404);
    assert.equal((await act(theirs.id, { forceDelete: null })).status, 404);
    const reader = await readerToken(cloud);
    assert.equal(await actionStatusWithToken(cloud, reader, server.id, { restore: null }), 403);
    assert.equal(await actionStatusWithToken(cloud, reader, server.id, { forceDelete: null }), 403);
  });

  test('the periodic reclaim deletes a soft-deleted server once the interval has passed', async () => {
    const server = await boot('reclaimed');
    assert.equal((await del(server.id)).status, 204);
    await cloud.waitForServer(server.id, 'SOFT_DELETED', 'demo');
    await cloud.waitForServer(server.id, 'DELETED', 'demo', RECLAIM_S * 1000 * 4 + 5000);
    assert.deepEqual(await allocationsOf(cloud, server.id), {});
    assert.equal((await cloud.fakeDriver!.listInstances()).includes(server.id), false);
  });
});
