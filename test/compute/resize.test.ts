/**
 * resize, confirmResize, revertResize and cold migrate on one host
 * (allow_resize_to_same_host): VERIFY_RESIZE, the migration record, the
 * allocation held by the migration until confirmed or reverted, events and
 * notifications, Nova's 400 / 403 / 404 / 409 — and resize_confirm_window.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import type { ComputeDb } from '../../src/compute/db/tables.js';
import { actionStatusWithToken, allocationsOf, bootActive, readerToken, uploadImage, V237, computeVersion as mv } from './fixtures.js';

async function waitIdle(cloud: TestCloud, id: string): Promise<any> {
  const deadline = Date.now() + 10_000;
  let shown: any;
  while (Date.now() < deadline) {
    shown = (await cloud.request('GET', `/compute/v2.1/servers/${id}`)).json.server;
    if (shown['OS-EXT-STS:task_state'] === null) return shown;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`server ${id} still busy: ${shown?.['OS-EXT-STS:task_state']}`);
}

const resources = (allocs: Record<string, any>) => Object.values(allocs).map((a: any) => a.resources)[0];

describe('resize and cold migration', () => {
  let cloud: TestCloud;
  let image: string;
  const notifications: Array<{ event_type: string; payload: any; context: { request_id: string } }> = [];

  before(async () => {
    cloud = await startTestCloud({ DEFAULT: { allow_resize_to_same_host: 'true' } });
    image = await uploadImage(cloud);
    await cloud.transport.listenFanout('versioned_notifications.info', (b) => void notifications.push(JSON.parse(b)));
  });
  after(async () => cloud?.close());

  const act = (id: string, body: unknown, who: 'admin' | 'demo' = 'demo', version = '2.1') =>
    cloud.request('POST', `/compute/v2.1/servers/${id}/action`, { who, body, headers: mv(version) });
  const boot = (name: string) => bootActive(cloud, { name, imageRef: image, flavorRef: '1', networks: 'none' }, 'demo', V237);
  const migrations = (id: string) => (cloud.database.db as ComputeDb).selectFrom('migrations').selectAll().where('instance_uuid', '=', id).orderBy('id').execute();

  test('resize goes to VERIFY_RESIZE with the new flavor while the migration holds the old allocation; confirm frees it', async () => {
    const server = await boot('grow');
    const res = await act(server.id, { resize: { flavorRef: '2' } });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    const resized = await cloud.waitForServer(server.id, 'VERIFY_RESIZE', 'demo');
    assert.equal(resized.flavor.id, '2');
    assert.equal(resized['OS-EXT-STS:vm_state'], 'resized');
    assert.equal(resized['OS-EXT-STS:power_state'], 1);
    const [m] = await migrations(server.id);
    assert.equal(m.status, 'finished');
    assert.equal(m.migration_type, 'resize');
    assert.equal(m.source_compute, m.dest_compute);
    assert.deepEqual(resources(await allocationsOf(cloud, server.id)), { VCPU: 1, MEMORY_MB: 2048, DISK_GB: 20 });
    assert.deepEqual(resources(await allocationsOf(cloud, m.uuid)), { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 });

    const rid = res.headers.get('x-compute-request-id');
    const action = (await cloud.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions/${rid}`)).json.instanceAction;
    assert.equal(action.action, 'resize');
    assert.deepEqual(action.events.map((e: any) => `${e.event}:${e.result}`), ['compute_resize_instance:Success', 'compute_finish_resize:Success']);
    assert.deepEqual(notifications.filter((n) => n.context.request_id === rid).map((n) => n.event_type),
      ['instance.resize.start', 'instance.resize.end', 'instance.resize_finish.start', 'instance.resize_finish.end']);

    const confirm = await act(server.id, { confirmResize: null });
    assert.equal(confirm.status, 204);
    const active = await cloud.waitForServer(server.id, 'ACTIVE', 'demo');
    assert.equal(active.flavor.id, '2');
    assert.equal((await migrations(server.id))[0].status, 'confirmed');
    assert.deepEqual(await allocationsOf(cloud, m.uuid), {});
    assert.deepEqual(resources(await allocationsOf(cloud, server.id)), { VCPU: 1, MEMORY_MB: 2048, DISK_GB: 20 });
    const usage = await cloud.fakeDriver!.getAvailableResource((await cloud.fakeDriver!.getAvailableNodes())[0]);
    assert.ok(usage.memoryMbUsed >= 2048);
  });

  test('revertResize brings back the old flavor and allocation', async () => {
    const server = await boot('undo');
    assert.equal((await act(server.id, { resize: { flavorRef: 2 } })).status, 202);
    await cloud.waitForServer(server.id, 'VERIFY_RESIZE', 'demo');
    const revert = await act(server.id, { revertResize: null });
    assert.equal(revert.status, 202);
    const back = await cloud.waitForServer(server.id, 'ACTIVE', 'demo');
    assert.equal(back.flavor.id, '1');
    const [m] = await migrations(server.id);
    assert.equal(m.status, 'reverted');
    assert.deepEqual(resources(await allocationsOf(cloud, server.id)), { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 });
    assert.deepEqual(await allocationsOf(cloud, m.uuid), {});
    const action = (await cloud.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions/${revert.headers.get('x-compute-request-id')}`)).json.instanceAction;
    assert.equal(action.action, 'revertResize');
  });

  test('a stopped server is resized stopped and stays SHUTOFF after confirm', async () => {
    const server = await boot('cold');
    assert.equal((await act(server.id, { 'os-stop': null })).status, 202);
    await cloud.waitForServer(server.id, 'SHUTOFF', 'demo');
    assert.equal((await act(server.id, { resize: { flavorRef: '2' } })).status, 202);
    const resized = await cloud.waitForServer(server.id, 'VERIFY_RESIZE', 'demo');
    assert.equal(resized['OS-EXT-STS:power_state'], 4);
    assert.equal((await act(server.id, { confirmResize: null })).status, 204);
    await cloud.waitForServer(server.id, 'SHUTOFF', 'demo');
  });

  test('resize: 400 for the same flavor, an unknown flavor and a bad body; 409 when not resized, locked or paused; 403 for a reader; 404 for another project', async () => {
    const server = await boot('resize-errors');
    for (const [body, message] of [
      [{ resize: { flavorRef: '1' } }, /must change flavor/],
      [{ resize: { flavorRef: 'no-such-flavor' } }, /Unable to locate requested flavor/],
      [{ resize: {} }, /'flavorRef' is a required property/],
      [{ resize: { flavorRef: '2', extra: 1 } }, /Additional properties are not allowed/],
    ] as const) {
      const res = await act(server.id, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.json.badRequest.message, message);
    }
    const notResized = await act(server.id, { confirmResize: null });
    assert.equal(notResized.status, 409);
    assert.match(notResized.json.conflictingRequest.message, /Cannot 'confirmResize' instance .* while it is in vm_state active/);
    assert.equal((await act(server.id, { revertResize: null })).status, 409);

    assert.equal((await act(server.id, { lock: null }, 'admin')).status, 202);
    assert.equal((await act(server.id, { resize: { flavorRef: '2' } })).status, 409);
    assert.equal((await act(server.id, { unlock: null }, 'admin')).status, 202);
    assert.equal((await act(server.id, { pause: null })).status, 202);
    await cloud.waitForServer(server.id, 'PAUSED', 'demo');
    assert.equal((await act(server.id, { resize: { flavorRef: '2' } })).status, 409);

    assert.equal(await actionStatusWithToken(cloud, await readerToken(cloud), server.id, { resize: { flavorRef: '2' } }), 403);
    const theirs = await bootActive(cloud, { name: 'admins', imageRef: image, flavorRef: '1', networks: 'none' }, 'admin', V237);
    assert.equal((await act(theirs.id, { resize: { flavorRef: '2' } })).status, 404);
  });

  test('migrate is for administrators (403 for a member); to a host that does not exist it is 400 NoValidHost and nothing changes', async () => {
    const server = await boot('migrated');
    assert.equal((await act(server.id, { migrate: null })).status, 403);
    const nowhere = await act(server.id, { migrate: { host: 'no-such-host' } }, 'admin', '2.56');
    assert.equal(nowhere.status, 400, JSON.stringify(nowhere.json));
    assert.match(nowhere.json.badRequest.message, /No valid host was found/);
    const still = await waitIdle(cloud, server.id);
    assert.equal(still.status, 'ACTIVE');
    assert.deepEqual(resources(await allocationsOf(cloud, server.id)), { VCPU: 1, MEMORY_MB: 512, DISK_GB: 1 });
    assert.equal((await migrations(server.id))[0].status, 'error');
    assert.equal((await act(server.id, { migrate: { host: 5 } }, 'admin', '2.56')).status, 400);

    assert.equal((await act(server.id, { migrate: null }, 'admin')).status, 202);
    await cloud.waitForServer(server.id, 'VERIFY_RESIZE', 'demo');
    const m = (await migrations(server.id)).at(-1)!;
    assert.equal(m.migration_type, 'migration');
    assert.equal((await act(server.id, { confirmResize: null })).status, 204);
    await cloud.waitForServer(server.id, 'ACTIVE', 'demo');
  });
});

describe('resize_confirm_window', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await startTestCloud({ DEFAULT: { allow_resize_to_same_host: 'true', resize_confirm_window: '1' } });
  });
  after(async () => cloud?.close());

  test('a resize left unconfirmed is confirmed automatically after the window', async () => {
    const image = await uploadImage(cloud);
    const server = await bootActive(cloud, { name: 'auto', imageRef: image, flavorRef: '1', networks: 'none' }, 'demo', V237);
    assert.equal((await cloud.request('POST', `/compute/v2.1/servers/${server.id}/action`, { who: 'demo', body: { resize: { flavorRef: '2' } } })).status, 202);
    await cloud.waitForServer(server.id, 'VERIFY_RESIZE', 'demo');
    const active = await cloud.waitForServer(server.id, 'ACTIVE', 'demo', 15_000);
    assert.equal(active.flavor.id, '2');
    const [m] = await (cloud.database.db as ComputeDb).selectFrom('migrations').selectAll().where('instance_uuid', '=', server.id).execute();
    assert.equal(m.status, 'confirmed');
  });
});
