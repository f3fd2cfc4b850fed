/**
 * The all-in-one with its compute side configured as a Nova compute host is
 * ([glance], [neutron], [placement] with a service user's keystoneauth
 * options): the compute host reaches those services over their HTTP APIs, and
 * a server still boots from an image with its port bound, snapshots with the
 * image data uploaded over HTTP as the user, and deletes leaving no port and
 * no allocation behind.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { IncomingMessage } from 'node:http';
import { startTestCloud, ADMIN_PASSWORD, type TestCloud } from '../../helpers/cloud.js';
import { allocationsOf, bootActive, portsOf, privateNetworkId, uploadImage } from '../fixtures.js';

/** A port nothing listens on now: the cloud's identity URL must be in its config before it starts. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Seen { method: string; url: string; service: boolean; user: boolean }

describe('a compute host using the HTTP clients', () => {
  let cloud: TestCloud;
  let image: string;
  const seen: Seen[] = [];

  before(async () => {
    const port = await freePort();
    const serviceUser = { auth_url: `http://127.0.0.1:${port}/identity`, username: 'admin', password: ADMIN_PASSWORD, project_name: 'admin' };
    cloud = await startTestCloud({
      DEFAULT: { osapi_compute_listen_port: String(port) },
      glance: serviceUser, neutron: serviceUser, placement: serviceUser,
    });
    // Watching the server's requests (another listener, which answers nothing) shows which calls came over HTTP.
    cloud.http.server.on('request', (req: IncomingMessage) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', service: req.headers['x-service-token'] !== undefined, user: req.headers['x-auth-token'] !== undefined });
    });
    image = await uploadImage(cloud, 'base', 'demo');
  });
  after(async () => cloud?.close());

  const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const got = await probe();
      if (got !== undefined) return got;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  test('boot to ACTIVE with the port bound, snapshot uploaded over HTTP, delete releasing ports and allocations', async () => {
    const network = await privateNetworkId(cloud);
    const server = await bootActive(cloud, { name: 'over-http', imageRef: image, flavorRef: '1', networks: [{ uuid: network }] }, 'demo', { 'openstack-api-version': 'compute 2.37' });
    const ports = await portsOf(cloud, server.id);
    assert.equal(ports.length, 1);
    assert.notEqual(ports[0]['binding:host_id'], '');
    assert.equal(ports[0].status, 'ACTIVE');
    assert.ok(seen.some((s) => s.method === 'POST' && s.url === '/network/v2.0/ports'), 'the compute host made the port over Neutron\'s API');
    assert.notDeepEqual(await allocationsOf(cloud, server.id), {});

    const snap = await cloud.request('POST', `/compute/v2.1/servers/${server.id}/action`, {
      who: 'demo', body: { createImage: { name: 'snap-over-http' } }, headers: { 'openstack-api-version': 'compute 2.45' },
    });
    assert.equal(snap.status, 202, JSON.stringify(snap.json));
    const imageId = snap.json.image_id as string;
    const active = await waitFor('the snapshot to become active', async () => {
      const got = await cloud.request('GET', `/image/v2/images/${imageId}`, { who: 'demo' });
      return got.json?.status === 'active' ? got.json : undefined;
    });
    assert.ok(active.size > 0);
    const upload = seen.find((s) => s.method === 'PUT' && s.url === `/image/v2/images/${imageId}/file`);
    assert.ok(upload, 'the image data went over Glance\'s API');
    assert.ok(upload.user && upload.service, 'as the user, with the service token beside the user\'s');
    await waitFor('the server to finish the snapshot', async () => {
      const shown = (await cloud.request('GET', `/compute/v2.1/servers/${server.id}`, { who: 'demo' })).json.server;
      return shown['OS-EXT-STS:task_state'] === null ? shown : undefined;
    });

    assert.equal((await cloud.request('DELETE', `/compute/v2.1/servers/${server.id}`, { who: 'demo' })).status, 204);
    await cloud.waitForServer(server.id, 'DELETED', 'demo');
    await waitFor('the ports and allocations to go', async () => {
      const [left, held] = await Promise.all([portsOf(cloud, server.id), allocationsOf(cloud, server.id)]);
      return left.length === 0 && Object.keys(held).length === 0 ? true : undefined;
    });
    assert.equal((await cloud.request('GET', `/network/v2.0/ports/${ports[0].id}`)).status, 404);
  });
});
