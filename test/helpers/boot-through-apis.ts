/**
 * The boot flow as a user drives it, against any cloud under test: upload an
 * image, create a server on the shared network, wait for ACTIVE. Tests that
 * prove a wiring (a transport, a process layout) share it instead of each
 * spelling out the same requests.
 */
import assert from 'node:assert/strict';
import type { CloudClient } from './cloud.js';

export interface BootArguments {
  flavorRef: string;
  imageRef: string;
  networkId: string;
}

/** m1.tiny, a fresh 1 KiB image of the demo project and the private network. */
export async function bootArguments(cloud: CloudClient): Promise<BootArguments> {
  const flavors = await cloud.request('GET', '/compute/v2.1/flavors', { who: 'demo' });
  const tiny = flavors.json.flavors.find((f: any) => f.name === 'm1.tiny');
  assert.ok(tiny, JSON.stringify(flavors.json));
  const image = await cloud.request('POST', '/image/v2/images', { who: 'demo', body: { name: 'i', disk_format: 'raw', container_format: 'bare' } });
  assert.equal(image.status, 201, JSON.stringify(image.json));
  const upload = await cloud.request('PUT', `/image/v2/images/${image.json.id}/file`, {
    who: 'demo', body: new Uint8Array(1024), headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(upload.status, 204, JSON.stringify(upload.json));
  const nets = await cloud.request('GET', '/network/v2.0/networks?name=private', { who: 'demo' });
  assert.equal(nets.json.networks.length, 1, JSON.stringify(nets.json));
  return { flavorRef: tiny.id, imageRef: image.json.id, networkId: nets.json.networks[0].id };
}

export async function bootThroughApis(cloud: CloudClient, name: string, timeoutMs?: number): Promise<any> {
  const args = await bootArguments(cloud);
  const created = await cloud.request('POST', '/compute/v2.1/servers', {
    who: 'demo',
    headers: { 'openstack-api-version': 'compute 2.37' },
    body: { server: { name, flavorRef: args.flavorRef, imageRef: args.imageRef, networks: [{ uuid: args.networkId }] } },
  });
  assert.equal(created.status, 202, JSON.stringify(created.json));
  const server = await cloud.waitForServer(created.json.server.id, 'ACTIVE', 'demo', timeoutMs);
  assert.equal(server.name, name);
  return server;
}

export async function deleteThroughApis(cloud: CloudClient, id: string, timeoutMs?: number): Promise<void> {
  const del = await cloud.request('DELETE', `/compute/v2.1/servers/${id}`, { who: 'demo' });
  assert.equal(del.status, 204);
  await cloud.waitForServer(id, 'DELETED', 'demo', timeoutMs);
}
