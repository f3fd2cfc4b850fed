/**
 * shelve / shelveOffload / unshelve: the guest's disk becomes the
 * "<name>-shelved" image (real data), the server is SHELVED then (offload time
 * 0) SHELVED_OFFLOADED with no host and no allocation; unshelve schedules it
 * again, spawns it from that image and deletes the image. With a positive
 * offload time the periodic task offloads it; with -1 an administrator does.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import type { ComputeDb } from '../../src/compute/db/tables.js';
import { getSystemMetadata } from '../../src/compute/system-metadata.js';
import { actionStatusWithToken, allocationsOf, bootActive, portsOf, privateNetworkId, readerToken, uploadImage, V237, computeVersion as mv } from './fixtures.js';
type Note = { event_type: string; payload: any; context: { request_id: string } };

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const got = await probe();
    if (got !== undefined) return got;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function shelvedImages(cloud: TestCloud, name: string): Promise<any[]> {
  const res = await cloud.request('GET', `/image/v2/images?name=${encodeURIComponent(`${name}-shelved`)}`, { who: 'demo' });
  assert.equal(res.status, 200);
  return res.json.images;
}

describe('shelve and unshelve (shelved_offload_time 0)', () => {
  let cloud: TestCloud;
  let image: string;
  const notes: Note[] = [];

  before(async () => {
    cloud = await startTestCloud();
    image = await uploadImage(cloud);
    await cloud.transport.listenFanout('versioned_notifications.info', (b) => void notes.push(JSON.parse(b)));
  });
  after(async () => cloud?.close());

  const act = (id: string, body: unknown, who: 'admin' | 'demo' = 'demo', version = '2.1') =>
    cloud.request('POST', `/compute/v2.1/servers/${id}/action`, { who, body, headers: mv(version) });
  const boot = (name: string, networks: unknown = 'none') => bootActive(cloud, { name, imageRef: image, flavorRef: '1', networks }, 'demo', V237);
  const action = async (id: string, rid: string | null) =>
    (await cloud.request('GET', `/compute/v2.1/servers/${id}/os-instance-actions/${rid}`)).json.instanceAction;
  const db = () => cloud.database.db as ComputeDb;

  test('shelve offloads at once: image with the guest\'s disk, no host, no allocation, no guest; unshelve brings it back and deletes the image', async () => {
    const net = await privateNetworkId(cloud);
    const server = await boot('shelf', [{ uuid: net }]);
    const portsBefore = await portsOf(cloud, server.id);
    assert.equal(portsBefore.length, 1);

    const res = await act(server.id, { shelve: null });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    const rid = res.headers.get('x-compute-request-id');
    const off = await cloud.waitForServer(server.id, 'SHELVED_OFFLOADED', 'admin');
    assert.equal(off['OS-EXT-SRV-ATTR:host'], null);
    assert.equal(off['OS-EXT-STS:task_state'], null);
    assert.equal(off['OS-EXT-STS:power_state'], 4);
    assert.deepEqual(await allocationsOf(cloud, server.id), {});
    assert.ok(!(await cloud.fakeDriver!.listInstances()).includes(server.id), 'the guest left the hypervisor');
    assert.deepEqual((await portsOf(cloud, server.id)).map((p) => p.id), portsBefore.map((p) => p.id), 'the ports stay with the server');

    const [img] = await shelvedImages(cloud, 'shelf');
    assert.ok(img, 'the shelved image exists');
    assert.equal(img.status, 'active');
    assert.equal(img.instance_uuid, server.id);
    const token = await cloud.token('demo');
    const data = Buffer.from(await (await fetch(`${cloud.url}/image/v2/images/${img.id}/file`, { headers: { 'x-auth-token': token } })).arrayBuffer());
    assert.match(data.toString('latin1'), new RegExp(`KILONOVA FAKE DISK\\nguest ${server.id}`));
    const sysmeta = await getSystemMetadata(db(), server.id);
    assert.equal(sysmeta.shelved_image_id, img.id);
    assert.equal(typeof sysmeta.shelved_host, 'string');
    assert.ok(!Number.isNaN(Date.parse(sysmeta.shelved_at)));
    assert.equal(sysmeta.image_base_image_ref, image);

    const shelveAction = await action(server.id, rid);
    assert.equal(shelveAction.action, 'shelve');
    assert.deepEqual(shelveAction.events.map((e: any) => `${e.event}:${e.result}`), ['compute_shelve_instance:Success', 'compute_shelve_offload_instance:Success']);
    assert.deepEqual(notes.filter((n) => n.context.request_id === rid).map((n) => n.event_type),
      ['instance.shelve.start', 'instance.shelve.end', 'instance.shelve_offload.start', 'instance.shelve_offload.end']);

    const un = await act(server.id, { unshelve: null });
    assert.equal(un.status, 202, JSON.stringify(un.json));
    const back = await cloud.waitForServer(server.id, 'ACTIVE', 'admin');
    assert.equal(back['OS-EXT-STS:power_state'], 1);
    assert.equal(back['OS-EXT-SRV-ATTR:host'], sysmeta.shelved_host, 'the one host takes it back');
    assert.equal(back.image.id, image, 'the server keeps its own image');
    assert.ok(Object.keys(await allocationsOf(cloud, server.id)).length > 0, 'scheduled again: the allocation is back');
    assert.ok((await cloud.fakeDriver!.listInstances()).includes(server.id));
    await until('the shelved image to go', async () => ((await cloud.request('GET', `/image/v2/images/${img.id}`, { who: 'demo' })).status === 404 ? true : undefined));
    assert.deepEqual(await getSystemMetadata(db(), server.id), { image_base_image_ref: image });
    const unRid = un.headers.get('x-compute-request-id');
    const unAction = await action(server.id, unRid);
    assert.equal(unAction.action, 'unshelve');
    assert.deepEqual(unAction.events.map((e: any) => `${e.event}:${e.result}`), ['compute_unshelve_instance:Success']);
    assert.deepEqual(notes.filter((n) => n.context.request_id === unRid).map((n) => n.event_type), ['instance.unshelve.start', 'instance.unshelve.end']);
  });

  test('a paused, a suspended and a stopped server can be shelved', async () => {
    for (const [first, status] of [['pause', 'PAUSED'], ['suspend', 'SUSPENDED'], ['os-stop', 'SHUTOFF']] as const) {
      const server = await boot(`shelf-${first}`);
      assert.equal((await act(server.id, { [first]: null })).status, 202);
      await cloud.waitForServer(server.id, status, 'demo');
      assert.equal((await act(server.id, { shelve: {} })).status, 202);
      await cloud.waitForServer(server.id, 'SHELVED_OFFLOADED', 'demo');
    }
  });

  test('409 in the wrong state and when locked by another; 400 for a bad argument; 404 for another project\'s server', async () => {
    const server = await boot('shelf-errors');
    const wrong = await act(server.id, { unshelve: null });
    assert.equal(wrong.status, 409);
    assert.match(wrong.json.conflictingRequest.message, /Cannot 'unshelve' instance .* while it is in vm_state active/);
    const offloadActive = await act(server.id, { shelveOffload: null }, 'admin');
    assert.equal(offloadActive.status, 409);
    assert.match(offloadActive.json.conflictingRequest.message, /Cannot 'shelveOffload' instance .* while it is in vm_state active/);
    for (const bad of [{ shelve: 'x' }, { shelve: [1] }, { unshelve: 3 }, { shelveOffload: true }]) {
      const res = await act(server.id, bad, 'admin');
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.match(res.json.badRequest.message, /Invalid input for field\/attribute/);
    }

    assert.equal((await act(server.id, { lock: null }, 'admin')).status, 202);
    const locked = await act(server.id, { shelve: null });
    assert.equal(locked.status, 409);
    assert.match(locked.json.conflictingRequest.message, /is locked/);
    assert.equal((await act(server.id, { unlock: null }, 'admin')).status, 202);

    assert.equal((await act(server.id, { shelve: null })).status, 202);
    await cloud.waitForServer(server.id, 'SHELVED_OFFLOADED', 'demo');
    const again = await act(server.id, { shelve: null });
    assert.equal(again.status, 409);
    assert.match(again.json.conflictingRequest.message, /Cannot 'shelve' instance .* while it is in vm_state shelved_offloaded/);
    assert.equal((await act(server.id, { lock: null }, 'admin')).status, 202);
    assert.equal((await act(server.id, { unshelve: null })).status, 409, 'a locked server is not unshelved for its owner');
    assert.equal((await act(server.id, { unshelve: null }, 'admin')).status, 202, 'an administrator passes the lock');
    await cloud.waitForServer(server.id, 'ACTIVE', 'demo');

    const theirs = await bootActive(cloud, { name: 'admins-shelf', imageRef: image, flavorRef: '1', networks: 'none' }, 'admin', V237);
    assert.equal((await act(theirs.id, { shelve: null })).status, 404);
    assert.equal((await act('00000000-0000-4000-8000-000000000000', { shelve: null })).status, 404);
  });

  test('2.77: unshelve into a zone; {} and unknown zones are refused; a zone for a SHELVED server is a 409 (checked below)', async () => {
    const server = await boot('shelf-az');
    assert.equal((await act(server.id, { shelve: null })).status, 202);
    await cloud.waitForServer(server.id, 'SHELVED_OFFLOADED', 'demo');
    for (const bad of [{ unshelve: {} }, { unshelve: { availability_zone: '' } }, { unshelve: { host: 'x' } }, { unshelve: { availability_zone: 'nova', other: 1 } }]) {
      const res = await act(server.id, bad, 'demo', '2.77');
      assert.equal(res.status, 400, JSON.stringify(bad));
    }
    const unknown = await act(server.id, { unshelve: { availability_zone: 'atlantis' } }, 'demo', '2.77');
    assert.equal(unknown.status, 400);
    assert.match(unknown.json.badRequest.message, /availability zone is not available/);
    // Before 2.77 the argument is not looked at.
    assert.equal((await act(server.id, { unshelve: { availability_zone: 'atlantis' } }, 'demo', '2.76')).status, 202);
    await cloud.waitForServer(server.id, 'ACTIVE', 'demo');
    assert.equal((await act(server.id, { shelve: null })).status, 202);
    await cloud.waitForServer(server.id, 'SHELVED_OFFLOADED', 'demo');
    assert.equal((await act(server.id, { unshelve: { availability_zone: 'nova' } }, 'demo', '2.77')).status, 202);
    const back = await cloud.waitForServer(server.id, 'ACTIVE', 'demo');
    assert.equal(back['OS-EXT-AZ:availability_zone'], 'nova');
  });

  test('policy: a reader cannot shelve or unshelve; shelveOffload is for administrators', async () => {
    const server = await boot('shelf-policy');
    const reader = await readerToken(cloud);
    assert.equal(await actionStatusWithToken(cloud, reader, server.id, { shelve: null }), 403);
    assert.equal(await actionStatusWithToken(cloud, reader, server.id, { unshelve: null }), 403);
    assert.equal((await act(server.id, { shelveOffload: null })).status, 403);
  });

  test('deleting a shelved server deletes its image too', async () => {
    const server = await boot('shelf-delete');
    assert.equal((await act(server.id, { shelve: null })).status, 202);
    await cloud.waitForServer(server.id, 'SHELVED_OFFLOADED', 'demo');
    const [img] = await shelvedImages(cloud, 'shelf-delete');
    assert.equal((await cloud.request('DELETE', `/compute/v2.1/servers/${server.id}`, { who: 'demo' })).status, 204);
    await cloud.waitForServer(server.id, 'DELETED', 'demo');
    assert.equal((await cloud.request('GET', `/image/v2/images/${img.id}`, { who: 'demo' })).status, 404);
  });

  test('a spawn that fails on unshelve leaves the server offloaded, without host or allocation, with its image', async () => {
    const server = await boot('shelf-fail');
    assert.equal((await act(server.id, { shelve: null })).status, 202);
    await cloud.waitForServer(server.id, 'SHELVED_OFFLOADED', 'demo');
    cloud.fakeDriver!.failNextSpawns(1);
    assert.equal((await act(server.id, { unshelve: null })).status, 202);
    const shown = await until('the failed unshelve to settle', async () => {
      const s = (await cloud.request('GET', `/compute/v2.1/servers/${server.id}`, { who: 'admin' })).json.server;
      return s['OS-EXT-STS:task_state'] === null ? s : undefined;
    });
    assert.equal(shown.status, 'SHELVED_OFFLOADED');
    assert.equal(shown['OS-EXT-SRV-ATTR:host'], null);
    assert.deepEqual(await allocationsOf(cloud, server.id), {});
    assert.equal((await shelvedImages(cloud, 'shelf-fail')).length, 1);
  });
});

describe('shelve with shelved_offload_time -1 and > 0', () => {
  let cloud: TestCloud;
  let image: string;

  before(async () => {
    cloud = await startTestCloud({ DEFAULT: { shelved_offload_time: '-1' } });
    image = await uploadImage(cloud);
  });
  after(async () => cloud?.close());

  const act = (id: string, body: unknown, who: 'admin' | 'demo' = 'demo', version = '2.1') =>
    cloud.request('POST', `/compute/v2.1/servers/${id}/action`, { who, body, headers: mv(version) });
  const boot = (name: string) => bootActive(cloud, { name, imageRef: image, flavorRef: '1', networks: 'none' }, 'demo', V237);

  test('-1: the server stays SHELVED on its host (guest off, allocation kept); unshelve powers it on and deletes the image', async () => {
    const server = await boot('kept');
    assert.equal((await act(server.id, { shelve: null })).status, 202);
    const shelved = await cloud.waitForServer(server.id, 'SHELVED', 'admin');
    assert.equal(shelved['OS-EXT-STS:task_state'], null);
    assert.ok(shelved['OS-EXT-SRV-ATTR:host']);
    assert.equal(shelved['OS-EXT-STS:power_state'], 4);
    assert.ok(Object.keys(await allocationsOf(cloud, server.id)).length > 0);
    const [img] = await shelvedImages(cloud, 'kept');
    assert.equal(img.status, 'active');

    // A zone (2.77) is only for an offloaded server.
    const az = await act(server.id, { unshelve: { availability_zone: 'nova' } }, 'demo', '2.77');
    assert.equal(az.status, 409);
    assert.match(az.json.conflictingRequest.message, /The server status must be SHELVED_OFFLOADED/);

    assert.equal((await act(server.id, { unshelve: null })).status, 202);
    await cloud.waitForServer(server.id, 'ACTIVE', 'demo');
    assert.deepEqual(cloud.fakeDriver!.calls.filter((c) => c.uuid === server.id).map((c) => c.method), ['spawn', 'powerOff', 'snapshot', 'powerOn']);
    await until('the shelved image to go', async () => ((await cloud.request('GET', `/image/v2/images/${img.id}`, { who: 'demo' })).status === 404 ? true : undefined));
  });

  test('-1: an administrator offloads with shelveOffload', async () => {
    const server = await boot('offload-me');
    assert.equal((await act(server.id, { shelve: null })).status, 202);
    await cloud.waitForServer(server.id, 'SHELVED', 'demo');
    const res = await act(server.id, { shelveOffload: null }, 'admin');
    assert.equal(res.status, 202);
    const off = await cloud.waitForServer(server.id, 'SHELVED_OFFLOADED', 'admin');
    assert.equal(off['OS-EXT-SRV-ATTR:host'], null);
    assert.deepEqual(await allocationsOf(cloud, server.id), {});
    const a = (await cloud.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions/${res.headers.get('x-compute-request-id')}`)).json.instanceAction;
    assert.equal(a.action, 'shelveOffload');
    assert.deepEqual(a.events.map((e: any) => `${e.event}:${e.result}`), ['compute_shelve_offload_instance:Success']);
  });
});

describe('shelve with a positive shelved_offload_time', () => {
  let cloud: TestCloud;
  let image: string;

  before(async () => {
    cloud = await startTestCloud({ DEFAULT: { shelved_offload_time: '1' } });
    image = await uploadImage(cloud);
  });
  after(async () => cloud?.close());

  test('the periodic task offloads a server shelved longer than the offload time', async () => {
    const server = await bootActive(cloud, { name: 'later', imageRef: image, flavorRef: '1', networks: 'none' }, 'demo', V237);
    const res = await cloud.request('POST', `/compute/v2.1/servers/${server.id}/action`, { who: 'demo', body: { shelve: null } });
    assert.equal(res.status, 202);
    const shelved = await cloud.waitForServer(server.id, 'SHELVED', 'admin');
    assert.ok(shelved['OS-EXT-SRV-ATTR:host'], 'not offloaded at once');
    const off = await cloud.waitForServer(server.id, 'SHELVED_OFFLOADED', 'admin', 15_000);
    assert.equal(off['OS-EXT-SRV-ATTR:host'], null);
    const actions = (await cloud.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions`)).json.instanceActions;
    assert.ok(actions.some((x: any) => x.action === 'shelveOffload'), JSON.stringify(actions));
  });
});
