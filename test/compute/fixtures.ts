/** Shared steps of the compute functional tests: an image to boot, a server to wait for. */
import assert from 'node:assert/strict';
import type { TestCloud } from '../helpers/cloud.js';

export async function uploadImage(cloud: TestCloud, name = 'cirros', who: 'admin' | 'demo' = 'admin', visibility = 'public'): Promise<string> {
  const created = await cloud.request('POST', '/image/v2/images', {
    who, body: { name, disk_format: 'raw', container_format: 'bare', ...(who === 'admin' ? { visibility } : {}) },
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const id = created.json.id as string;
  const token = await cloud.token(who);
  const up = await fetch(`${cloud.url}/image/v2/images/${id}/file`, {
    method: 'PUT', headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(4096, 7),
  });
  assert.equal(up.status, 204);
  return id;
}

export async function privateNetworkId(cloud: TestCloud): Promise<string> {
  const nets = await cloud.request('GET', '/network/v2.0/networks?name=private');
  assert.equal(nets.status, 200);
  assert.equal(nets.json.networks.length, 1);
  return nets.json.networks[0].id as string;
}

export const V237 = { 'openstack-api-version': 'compute 2.37' };

export async function createServer(cloud: TestCloud, server: Record<string, unknown>, opts: { who?: 'admin' | 'demo'; headers?: Record<string, string>; extra?: Record<string, unknown> } = {}) {
  return cloud.request('POST', '/compute/v2.1/servers', { who: opts.who ?? 'admin', headers: opts.headers, body: { server, ...(opts.extra ?? {}) } });
}

export async function bootActive(cloud: TestCloud, server: Record<string, unknown>, who: 'admin' | 'demo' = 'admin', headers?: Record<string, string>) {
  const res = await createServer(cloud, server, { who, headers });
  assert.equal(res.status, 202, JSON.stringify(res.json));
  return cloud.waitForServer(res.json.server.id, 'ACTIVE', who);
}

export async function portsOf(cloud: TestCloud, deviceId: string): Promise<any[]> {
  const res = await cloud.request('GET', `/network/v2.0/ports?device_id=${deviceId}`);
  assert.equal(res.status, 200);
  return res.json.ports;
}

export async function allocationsOf(cloud: TestCloud, consumer: string): Promise<Record<string, unknown>> {
  const res = await cloud.request('GET', `/placement/allocations/${consumer}`, { headers: { 'openstack-api-version': 'placement 1.28' } });
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return res.json.allocations;
}
