/**
 * The all-in-one with [conductor] use_local = false: its compute hosts hold
 * no store of their own but the conductor's, so every record they read or
 * save goes over RPC to the conductor (Nova's object indirection), as a
 * compute process of its own will. A server's life — boot, stop, start, a
 * cold migration to the other host with its confirm, delete — goes as it
 * does with the local store, and the traffic shows the object calls.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { bootActive, uploadImage, V237 } from '../compute/fixtures.js';
import { CONDUCTOR_OBJECT_RPC_API } from '../../src/conductor/object-rpc-methods.js';

describe('all-in-one with the compute hosts on the conductor\'s store', () => {
  let cloud: TestCloud;
  let image: string;
  /** The methods of the conductor's object API sent since the cloud started. */
  const objectCalls: string[] = [];

  before(async () => {
    cloud = await startTestCloud({ conductor: { use_local: 'false' } }, { fakeHosts: 2 });
    const send = cloud.transport.send.bind(cloud.transport);
    cloud.transport.send = async (topic: string, body: string) => {
      const method = (JSON.parse(body) as { method?: unknown }).method;
      if (topic === CONDUCTOR_OBJECT_RPC_API.topic && typeof method === 'string' && Object.hasOwn(CONDUCTOR_OBJECT_RPC_API.methods, method)) objectCalls.push(method);
      return send(topic, body);
    };
    image = await uploadImage(cloud);
  });
  after(async () => cloud?.close());

  const act = (id: string, body: unknown) => cloud.request('POST', `/compute/v2.1/servers/${id}/action`, { body });
  const hostOf = async (id: string) => (await cloud.request('GET', `/compute/v2.1/servers/${id}`)).json.server['OS-EXT-SRV-ATTR:host'] as string;

  test('a server boots, stops, starts, migrates to the other host, confirms and is deleted, its records saved through the conductor', async () => {
    const server = await bootActive(cloud, { name: 'indirect', imageRef: image, flavorRef: '1', networks: 'none' }, 'admin', V237);
    // A build's state changes carry its event's start and end.
    assert.ok(objectCalls.includes('save_instance_with_event'), `object calls: ${objectCalls.join(', ')}`);

    assert.equal((await act(server.id, { 'os-stop': null })).status, 202);
    assert.equal((await cloud.waitForServer(server.id, 'SHUTOFF'))['OS-EXT-STS:power_state'], 4);
    assert.ok(objectCalls.includes('save_instance'), `object calls: ${objectCalls.join(', ')}`);
    assert.ok(objectCalls.includes('start_action_event'));
    assert.equal((await act(server.id, { 'os-start': null })).status, 202);
    assert.equal((await cloud.waitForServer(server.id, 'ACTIVE'))['OS-EXT-STS:power_state'], 1);

    const source = await hostOf(server.id);
    assert.equal((await act(server.id, { migrate: null })).status, 202);
    await cloud.waitForServer(server.id, 'VERIFY_RESIZE');
    const dest = await hostOf(server.id);
    assert.notEqual(dest, source);
    assert.ok(objectCalls.includes('save_migration'), `object calls: ${[...new Set(objectCalls)].join(', ')}`);
    assert.equal((await act(server.id, { confirmResize: null })).status, 204);
    await cloud.waitForServer(server.id, 'ACTIVE');
    assert.equal(await hostOf(server.id), dest);
    const guests = (host: string) => cloud.hosts.find((h) => h.host === host)!.fakeDriver!.listInstances();
    assert.ok((await guests(dest)).includes(server.id));
    assert.ok(!(await guests(source)).includes(server.id));

    assert.equal((await cloud.request('DELETE', `/compute/v2.1/servers/${server.id}`)).status, 204);
    await cloud.waitForServer(server.id, 'DELETED');
    assert.ok(objectCalls.includes('destroy_instance'));
    assert.ok(!(await guests(dest)).includes(server.id));
  });
});
