/**
 * os-interface: list and show a server's ports; attach a new port on a
 * network (with a fixed IP or not) or the user's port, which the fake
 * hypervisor records as hot-plugged and the server's addresses show; detach
 * deletes a port compute made and only releases a user's. 2.49 takes a tag,
 * 2.70 shows it.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { bootActive, portsOf, privateNetworkId, readerToken, uploadImage, V237, computeVersion as mv } from './fixtures.js';

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const got = await probe();
    if (got !== undefined) return got;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('os-interface', () => {
  let cloud: TestCloud;
  let image: string;
  let net: string;

  before(async () => {
    cloud = await startTestCloud();
    image = await uploadImage(cloud);
    net = await privateNetworkId(cloud);
  });
  after(async () => cloud?.close());

  const ifaces = (id: string, who: 'admin' | 'demo' = 'demo', version = '2.1') =>
    cloud.request('GET', `/compute/v2.1/servers/${id}/os-interface`, { who, headers: mv(version) });
  const attach = (id: string, body: unknown, who: 'admin' | 'demo' = 'demo', version = '2.1') =>
    cloud.request('POST', `/compute/v2.1/servers/${id}/os-interface`, { who, body, headers: mv(version) });
  const detach = (id: string, port: string, who: 'admin' | 'demo' = 'demo') =>
    cloud.request('DELETE', `/compute/v2.1/servers/${id}/os-interface/${port}`, { who });
  const boot = (name: string) => bootActive(cloud, { name, imageRef: image, flavorRef: '1', networks: [{ uuid: net }] }, 'demo', V237);

  test('list and show the ports the server booted with', async () => {
    const server = await boot('if-list');
    const res = await ifaces(server.id);
    assert.equal(res.status, 200);
    assert.equal(res.json.interfaceAttachments.length, 1);
    const a = res.json.interfaceAttachments[0];
    assert.deepEqual(Object.keys(a).sort(), ['fixed_ips', 'mac_addr', 'net_id', 'port_id', 'port_state']);
    assert.equal(a.net_id, net);
    assert.equal(a.port_state, 'ACTIVE');
    assert.match(a.fixed_ips[0].ip_address, /^10\.0\./);
    const shown = await cloud.request('GET', `/compute/v2.1/servers/${server.id}/os-interface/${a.port_id}`, { who: 'demo' });
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.json.interfaceAttachment, a);
    const missing = await cloud.request('GET', `/compute/v2.1/servers/${server.id}/os-interface/00000000-0000-4000-8000-000000000000`, { who: 'demo' });
    assert.equal(missing.status, 404);
  });

  test('attach on a network with a fixed IP: a new port, hot-plugged, in the addresses; detach deletes it', async () => {
    const server = await boot('if-net');
    const res = await attach(server.id, { interfaceAttachment: { net_id: net, fixed_ips: [{ ip_address: '10.0.7.77' }] } });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const a = res.json.interfaceAttachment;
    assert.equal(a.net_id, net);
    assert.equal(a.fixed_ips[0].ip_address, '10.0.7.77');
    assert.ok(cloud.fakeDriver!.hotpluggedPorts(server.id).includes(a.port_id));
    assert.equal((await ifaces(server.id)).json.interfaceAttachments.length, 2);
    const shown = (await cloud.request('GET', `/compute/v2.1/servers/${server.id}`, { who: 'demo' })).json.server;
    assert.ok(Object.values(shown.addresses).flat().some((x: any) => x.addr === '10.0.7.77'), JSON.stringify(shown.addresses));
    const action = (await cloud.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions/${res.headers.get('x-compute-request-id')}`)).json.instanceAction;
    assert.equal(action.action, 'attach_interface');
    assert.deepEqual(action.events.map((e: any) => `${e.event}:${e.result}`), ['compute_attach_interface:Success']);

    const del = await detach(server.id, a.port_id);
    assert.equal(del.status, 202);
    await until('the port to go', async () => ((await portsOf(cloud, server.id)).some((p) => p.id === a.port_id) ? undefined : true));
    assert.equal((await cloud.request('GET', `/network/v2.0/ports/${a.port_id}`)).status, 404, 'a port compute made is deleted');
    assert.ok(!cloud.fakeDriver!.hotpluggedPorts(server.id).includes(a.port_id));
    assert.equal((await ifaces(server.id)).json.interfaceAttachments.length, 1);
  });

  test("attach the user's own port; detach releases it without deleting it; 2.49 tag shown at 2.70", async () => {
    const server = await boot('if-port');
    const made = await cloud.request('POST', '/network/v2.0/ports', { who: 'demo', body: { port: { network_id: net, name: 'mine' } } });
    assert.equal(made.status, 201, JSON.stringify(made.json));
    const portId = made.json.port.id;
    const res = await attach(server.id, { interfaceAttachment: { port_id: portId, tag: 'nic-b' } }, 'demo', '2.70');
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.interfaceAttachment.port_id, portId);
    assert.equal(res.json.interfaceAttachment.tag, 'nic-b');
    const listed = (await ifaces(server.id, 'demo', '2.70')).json.interfaceAttachments;
    assert.deepEqual(listed.map((x: any) => x.tag).sort(), ['nic-b', null].sort());
    assert.ok(!('tag' in (await ifaces(server.id, 'demo', '2.69')).json.interfaceAttachments[0]));
    const inUse = await attach(server.id, { interfaceAttachment: { port_id: portId } });
    assert.equal(inUse.status, 409);
    assert.match(inUse.json.conflictingRequest.message, /is still in use/);

    assert.equal((await detach(server.id, portId)).status, 202);
    const port = await until('the port to be released', async () => {
      const p = (await cloud.request('GET', `/network/v2.0/ports/${portId}`)).json.port;
      return p.device_id === '' ? p : undefined;
    });
    assert.equal(port.name, 'mine');
  });

  test('400 for bad input in Nova\'s words; 404 for unknown ports and networks; a tag before 2.49 is refused', async () => {
    const server = await boot('if-bad');
    for (const bad of [
      { interfaceAttachment: { net_id: 'not-a-uuid' } },
      { interfaceAttachment: { fixed_ips: [] } },
      { interfaceAttachment: { net_id: net, fixed_ips: [{ ip_address: 'x' }] } },
      { interfaceAttachment: { other: 1 } },
      { interfaceAttachment: { net_id: net, tag: 'a' } },
      { other: {} },
    ]) {
      const res = await attach(server.id, bad);
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.equal(res.json.badRequest.code, 400);
    }
    const both = await attach(server.id, { interfaceAttachment: { net_id: net, port_id: '00000000-0000-4000-8000-000000000000' } });
    assert.equal(both.status, 400);
    assert.match(both.json.badRequest.message, /Must not input both network_id and port_id/);
    const ipOnly = await attach(server.id, { interfaceAttachment: { fixed_ips: [{ ip_address: '10.0.0.9' }] } });
    assert.equal(ipOnly.status, 400);
    assert.match(ipOnly.json.badRequest.message, /Must input network_id when request IP address/);
    assert.equal((await attach(server.id, { interfaceAttachment: { port_id: '00000000-0000-4000-8000-000000000000' } })).status, 404);
    assert.equal((await attach(server.id, { interfaceAttachment: { net_id: '00000000-0000-4000-8000-000000000000' } })).status, 404);
    assert.equal((await detach(server.id, '00000000-0000-4000-8000-000000000000')).status, 404);
    assert.equal((await ifaces(server.id)).json.interfaceAttachments.length, 1, 'nothing half-attached');
  });

  test('409 in the wrong state and when locked by another; policy for a reader and another project', async () => {
    const server = await boot('if-state');
    const [port] = (await ifaces(server.id)).json.interfaceAttachments;
    assert.equal((await cloud.request('POST', `/compute/v2.1/servers/${server.id}/action`, { who: 'demo', body: { suspend: null } })).status, 202);
    await cloud.waitForServer(server.id, 'SUSPENDED', 'demo');
    const suspended = await attach(server.id, { interfaceAttachment: { net_id: net } });
    assert.equal(suspended.status, 409);
    assert.match(suspended.json.conflictingRequest.message, /Cannot 'attach_interface' instance .* while it is in vm_state suspended/);
    assert.equal((await detach(server.id, port.port_id)).status, 409);
    assert.equal((await cloud.request('POST', `/compute/v2.1/servers/${server.id}/action`, { who: 'demo', body: { resume: null } })).status, 202);
    await cloud.waitForServer(server.id, 'ACTIVE', 'demo');

    assert.equal((await cloud.request('POST', `/compute/v2.1/servers/${server.id}/action`, { who: 'admin', body: { lock: null } })).status, 202);
    assert.equal((await attach(server.id, { interfaceAttachment: { net_id: net } })).status, 409);
    assert.equal((await detach(server.id, port.port_id)).status, 409);
    assert.equal((await cloud.request('POST', `/compute/v2.1/servers/${server.id}/action`, { who: 'admin', body: { unlock: null } })).status, 202);

    const reader = await readerToken(cloud);
    const asReader = (method: string, path: string, body?: unknown) => fetch(`${cloud.url}/compute/v2.1/servers/${server.id}${path}`, {
      method, headers: { 'x-auth-token': reader, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.equal((await asReader('GET', '/os-interface')).status, 200, 'a reader may list');
    assert.equal((await asReader('POST', '/os-interface', { interfaceAttachment: { net_id: net } })).status, 403);
    assert.equal((await asReader('DELETE', `/os-interface/${port.port_id}`)).status, 403);

    const theirs = await bootActive(cloud, { name: 'if-admin', imageRef: image, flavorRef: '1', networks: 'none' }, 'admin', V237);
    assert.equal((await ifaces(theirs.id)).status, 404);
    assert.equal((await attach(theirs.id, { interfaceAttachment: { net_id: net } })).status, 404);
  });

  test('a hot-plug the hypervisor refuses gives the port back and answers 500 in Nova\'s words', async () => {
    const server = await boot('if-fail');
    const fake = cloud.fakeDriver!;
    const original = fake.attachInterface;
    fake.attachInterface = async () => { throw new Error('injected plug failure'); };
    try {
      const res = await attach(server.id, { interfaceAttachment: { net_id: net } });
      assert.equal(res.status, 500);
      assert.match(res.json.computeFault.message, /Failed to attach network adapter device to/);
    } finally {
      fake.attachInterface = original;
    }
    assert.equal((await portsOf(cloud, server.id)).length, 1, 'the new port was deleted again');
  });
});
