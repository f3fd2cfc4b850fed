/**
 * Many `POST /servers` at once, as a crowd of users would send them: one
 * image and the shared network looked up once, then each create sent to one
 * of the cloud's API processes in turn. The concurrency tests share it.
 */
import assert from 'node:assert/strict';
import type { ApiResponse, CloudClient } from './cloud.js';

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
  const image = await cloud.request('POST', '/image/v2/images', { who: 'demo', body: { name: 'crowd', disk_format: 'raw', container_format: 'bare' } });
  assert.equal(image.status, 201, JSON.stringify(image.json));
  const upload = await cloud.request('PUT', `/image/v2/images/${image.json.id}/file`, {
    who: 'demo', body: new Uint8Array(1024), headers: { 'content-type': 'application/octet-stream' },
  });
  assert.equal(upload.status, 204, JSON.stringify(upload.json));
  const nets = await cloud.request('GET', '/network/v2.0/networks?name=private', { who: 'demo' });
  assert.equal(nets.json.networks.length, 1, JSON.stringify(nets.json));
  return { flavorRef: tiny.id, imageRef: image.json.id, networkId: nets.json.networks[0].id };
}

export function createServer(api: CloudClient, args: BootArguments, name: string): Promise<ApiResponse> {
  return api.request('POST', '/compute/v2.1/servers', {
    who: 'demo',
    body: { server: { name, flavorRef: args.flavorRef, imageRef: args.imageRef, networks: [{ uuid: args.networkId }] } },
  });
}

/** `count` creates in flight together, spread round-robin over `apis`; the responses in request order. */
export function createServersAtOnce(apis: readonly CloudClient[], args: BootArguments, count: number, prefix: string): Promise<ApiResponse[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => createServer(apis[i % apis.length], args, `${prefix}-${i}`)));
}

/** Polls until no server of the demo project is in BUILD, or fails at the deadline naming the ones left. */
export async function waitUntilNoneBuilding(cloud: CloudClient, timeoutMs: number): Promise<any[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await cloud.request('GET', '/compute/v2.1/servers/detail?all_tenants=1&limit=10000');
    assert.equal(list.status, 200, JSON.stringify(list.json));
    const servers: any[] = list.json.servers;
    const building = servers.filter((s) => s.status === 'BUILD' || s['OS-EXT-STS:task_state']);
    if (building.length === 0) return servers;
    if (Date.now() > deadline) assert.fail(`still building after ${timeoutMs} ms: ${building.map((s) => `${s.id} ${s.status}/${s['OS-EXT-STS:task_state']}`).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
