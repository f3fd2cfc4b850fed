/**
 * createImage and createBackup: the fake hypervisor's disk becomes real image
 * data in the image service (queued → active), the server passes through the
 * image_* task states back to ACTIVE, 2.45 answers with image_id (before it a
 * Location header), and backups beyond the rotation are deleted.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { actionStatusWithToken, bootActive, readerToken, uploadImage, V237, computeVersion as mv } from './fixtures.js';

describe('createImage and createBackup', () => {
  let cloud: TestCloud;
  let image: string;
  const notifications: Array<{ event_type: string; payload: any; context: { request_id: string } }> = [];

  before(async () => {
    cloud = await startTestCloud();
    image = await uploadImage(cloud, 'base');
    await cloud.transport.listenFanout('versioned_notifications.info', (b) => void notifications.push(JSON.parse(b)));
  });
  after(async () => cloud?.close());

  const act = (id: string, body: unknown, who: 'admin' | 'demo' = 'demo', version = '2.45') =>
    cloud.request('POST', `/compute/v2.1/servers/${id}/action`, { who, body, headers: mv(version) });
  const boot = (name: string) => bootActive(cloud, { name, imageRef: image, flavorRef: '1', networks: 'none' }, 'demo', V237);

  async function waitImage(id: string, status: string): Promise<any> {
    const deadline = Date.now() + 10_000;
    let last: any;
    while (Date.now() < deadline) {
      last = await cloud.request('GET', `/image/v2/images/${id}`, { who: 'demo' });
      if (last.status === 200 && last.json.status === status) return last.json;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`image ${id} not ${status}: ${JSON.stringify(last?.json)}`);
  }

  async function waitIdle(id: string): Promise<any> {
    const deadline = Date.now() + 10_000;
    let shown: any;
    while (Date.now() < deadline) {
      shown = (await cloud.request('GET', `/compute/v2.1/servers/${id}`, { who: 'demo' })).json.server;
      if (shown['OS-EXT-STS:task_state'] === null) return shown;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`server ${id} still busy: ${shown?.['OS-EXT-STS:task_state']}`);
  }

  test("createImage: the request's metadata overrides Nova's properties (image_type) but not the image's own fields", async () => {
    const server = await boot('snap-props');
    const res = await act(server.id, { createImage: { name: 'props-snap', metadata: { image_type: 'test', name: 'not-the-name', visibility: 'public' } } });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    const img = await waitImage(res.json.image_id, 'active');
    assert.deepEqual([img.image_type, img.name, img.visibility, img.instance_uuid], ['test', 'props-snap', 'private', server.id]);
    await waitIdle(server.id);
  });

  test('createImage (2.45) answers with image_id; the image becomes active with the guest\'s disk as its data', async () => {
    const server = await boot('snap-me');
    const res = await act(server.id, { createImage: { name: 'my-snap', metadata: { purpose: 'test' } } });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    const imageId = res.json.image_id;
    assert.match(imageId, /^[0-9a-f-]{36}$/);
    const img = await waitImage(imageId, 'active');
    assert.equal(img.name, 'my-snap');
    assert.equal(img.purpose, 'test');
    assert.equal(img.image_type, 'snapshot');
    assert.equal(img.instance_uuid, server.id);
    assert.equal(img.base_image_ref, image);
    assert.equal(img.disk_format, 'raw');
    assert.ok(img.size >= 4096);
    const token = await cloud.token('demo');
    const data = Buffer.from(await (await fetch(`${cloud.url}/image/v2/images/${imageId}/file`, { headers: { 'x-auth-token': token } })).arrayBuffer());
    assert.equal(data.length, img.size);
    assert.match(data.toString('latin1'), new RegExp(`KILONOVA FAKE DISK\\nguest ${server.id}`));

    const shown = await waitIdle(server.id);
    assert.equal(shown.status, 'ACTIVE');
    const rid = res.headers.get('x-compute-request-id');
    const action = (await cloud.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions/${rid}`)).json.instanceAction;
    assert.equal(action.action, 'createImage');
    assert.deepEqual(action.events.map((e: any) => `${e.event}:${e.result}`), ['compute_snapshot_instance:Success']);
    assert.deepEqual(notifications.filter((n) => n.context.request_id === rid).map((n) => n.event_type), ['instance.snapshot.start', 'instance.snapshot.end']);

    // A snapshot boots like any image.
    const child = await bootActive(cloud, { name: 'from-snap', imageRef: imageId, flavorRef: '1', networks: 'none' }, 'demo', V237);
    assert.equal(child.image.id, imageId);
  });

  test('before 2.45 the image is named by a Location header and the body is empty', async () => {
    const server = await boot('snap-old');
    const res = await act(server.id, { createImage: { name: 'old-style' } }, 'demo', '2.44');
    assert.equal(res.status, 202);
    assert.equal(res.json, undefined);
    const location = res.headers.get('location') ?? '';
    const imageId = location.slice(location.lastIndexOf('/') + 1);
    assert.match(imageId, /^[0-9a-f-]{36}$/);
    await waitImage(imageId, 'active');
    await waitIdle(server.id);
  });

  test('a stopped server can be snapshotted and stays stopped; a locked one too (Nova does not check the lock)', async () => {
    const server = await boot('snap-stopped');
    assert.equal((await act(server.id, { 'os-stop': null })).status, 202);
    await cloud.waitForServer(server.id, 'SHUTOFF', 'demo');
    assert.equal((await act(server.id, { lock: null })).status, 202);
    const res = await act(server.id, { createImage: { name: 'cold' } });
    assert.equal(res.status, 202);
    await waitImage(res.json.image_id, 'active');
    const shown = await waitIdle(server.id);
    assert.equal(shown.status, 'SHUTOFF');
  });

  test('createImage: 400 in Nova\'s schema-error style, 409 while rescued, 404 for another project, 403 for a reader, and a failed snapshot leaves no image', async () => {
    const server = await boot('snap-errors');
    for (const bad of [{ createImage: {} }, { createImage: { name: '' } }, { createImage: { name: 'x', metadata: { 'bad/key': 'v' } } }, { createImage: { name: 'x', other: 1 } }, { createImage: { name: 'a\u0000b' } }]) {
      const res = await act(server.id, bad);
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.equal(res.json.badRequest.code, 400);
    }
    assert.equal((await act(server.id, { rescue: null })).status, 200);
    await cloud.waitForServer(server.id, 'RESCUE', 'demo');
    const rescued = await act(server.id, { createImage: { name: 'nope' } });
    assert.equal(rescued.status, 409);
    assert.match(rescued.json.conflictingRequest.message, /Cannot 'createImage' instance .* while it is in vm_state rescued/);
    assert.equal((await act(server.id, { unrescue: null })).status, 202);
    await cloud.waitForServer(server.id, 'ACTIVE', 'demo');

    const theirs = await bootActive(cloud, { name: 'admins', imageRef: image, flavorRef: '1', networks: 'none' }, 'admin', V237);
    assert.equal((await act(theirs.id, { createImage: { name: 'steal' } })).status, 404);
    const reader = await readerToken(cloud);
    assert.equal(await actionStatusWithToken(cloud, reader, server.id, { createImage: { name: 'r' } }), 403);
    assert.equal(await actionStatusWithToken(cloud, reader, server.id, { createBackup: { name: 'r', backup_type: 'daily', rotation: 1 } }), 403);

    const fake = cloud.fakeDriver!;
    const original = fake.snapshot;
    fake.snapshot = async () => { throw new Error('injected snapshot failure'); };
    try {
      const res = await act(server.id, { createImage: { name: 'doomed' } });
      assert.equal(res.status, 202);
      const deadline = Date.now() + 5000;
      let status = 0;
      while (Date.now() < deadline) {
        status = (await cloud.request('GET', `/image/v2/images/${res.json.image_id}`, { who: 'demo' })).status;
        if (status === 404) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.equal(status, 404, 'the unfinished image is deleted');
      assert.equal((await waitIdle(server.id)).status, 'ACTIVE');
    } finally {
      fake.snapshot = original;
    }
  });

  test('createBackup keeps only the newest `rotation` backups of its type', async () => {
    const server = await boot('backed-up');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await act(server.id, { createBackup: { name: `daily-${i}`, backup_type: 'daily', rotation: 2 } });
      assert.equal(res.status, 202, JSON.stringify(res.json));
      ids.push(res.json.image_id);
      await waitImage(res.json.image_id, 'active');
      await waitIdle(server.id);
    }
    const weekly = await act(server.id, { createBackup: { name: 'weekly-0', backup_type: 'weekly', rotation: '1' } });
    assert.equal(weekly.status, 202);
    await waitImage(weekly.json.image_id, 'active');
    await waitIdle(server.id);
    const list = await cloud.request('GET', `/image/v2/images?instance_uuid=${server.id}&image_type=backup`, { who: 'demo' });
    const names = list.json.images.map((i: any) => i.name).sort();
    assert.deepEqual(names, ['daily-1', 'daily-2', 'weekly-0']);
    const action = (await cloud.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions/${weekly.headers.get('x-compute-request-id')}`)).json.instanceAction;
    assert.equal(action.action, 'createBackup');
    assert.deepEqual(action.events.map((e: any) => `${e.event}:${e.result}`), ['compute_backup_instance:Success']);
  });

  test('createBackup: 400 without backup_type or rotation, or with a negative one; before 2.45 rotation 0 answers without a Location', async () => {
    const server = await boot('backup-errors');
    for (const bad of [
      { createBackup: { name: 'b', rotation: 1 } }, { createBackup: { name: 'b', backup_type: 'daily' } },
      { createBackup: { name: 'b', backup_type: 'daily', rotation: -1 } }, { createBackup: { name: 'b', backup_type: 'daily', rotation: 'x' } },
    ]) {
      const res = await act(server.id, bad);
      assert.equal(res.status, 400, JSON.stringify(bad));
    }
    // Before 2.45 a backup with rotation 0 has no Location (nothing is kept).
    const zero = await act(server.id, { createBackup: { name: 'none-kept', backup_type: 'daily', rotation: 0 } }, 'demo', '2.44');
    assert.equal(zero.status, 202);
    assert.equal(zero.headers.get('location'), null);
    await waitIdle(server.id);
  });
});
