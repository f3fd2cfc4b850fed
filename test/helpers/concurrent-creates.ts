/**
 * Many `POST /servers` at once, as a crowd of users would send them: one
 * image and the shared network looked up once, then each create sent to one
 * of the cloud's API processes in turn. The concurrency tests share it.
 */
import assert from 'node:assert/strict';
import type { ApiResponse, CloudClient } from './cloud.js';
import type { BootArguments } from './boot-through-apis.js';

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
