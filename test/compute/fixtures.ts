/** Shared steps of the compute functional tests: an image to boot, a server to wait for. */
import assert from 'node:assert/strict';
import type { CloudClient, TestCloud } from '../helpers/cloud.js';

export async function uploadImage(cloud: CloudClient, name = 'cirros', who: 'admin' | 'demo' = 'admin', visibility = 'public'): Promise<string> {
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

export async function privateNetworkId(cloud: CloudClient): Promise<string> {
  const nets = await cloud.request('GET', '/network/v2.0/networks?name=private');
  assert.equal(nets.status, 200);
  assert.equal(nets.json.networks.length, 1);
  return nets.json.networks[0].id as string;
}

/** The header that asks for a compute microversion. */
export const computeVersion = (v: string) => ({ 'openstack-api-version': `compute ${v}` });
export const V237 = computeVersion('2.37');

export async function createServer(cloud: CloudClient, server: Record<string, unknown>, opts: { who?: 'admin' | 'demo'; headers?: Record<string, string>; extra?: Record<string, unknown> } = {}) {
  return cloud.request('POST', '/compute/v2.1/servers', { who: opts.who ?? 'admin', headers: opts.headers, body: { server, ...(opts.extra ?? {}) } });
}

export async function bootActive(cloud: CloudClient, server: Record<string, unknown>, who: 'admin' | 'demo' = 'admin', headers?: Record<string, string>) {
  const res = await createServer(cloud, server, { who, headers });
  assert.equal(res.status, 202, JSON.stringify(res.json));
  return cloud.waitForServer(res.json.server.id, 'ACTIVE', who);
}

export async function portsOf(cloud: CloudClient, deviceId: string): Promise<any[]> {
  const res = await cloud.request('GET', `/network/v2.0/ports?device_id=${deviceId}`);
  assert.equal(res.status, 200);
  return res.json.ports;
}

export async function allocationsOf(cloud: CloudClient, consumer: string): Promise<Record<string, unknown>> {
  const res = await cloud.request('GET', `/placement/allocations/${consumer}`, { headers: { 'openstack-api-version': 'placement 1.28' } });
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return res.json.allocations;
}

/**
 * A token of a user with only the reader role in the demo project (Nova's
 * project reader), made once per cloud.
 */
export async function readerToken(cloud: TestCloud, name = 'viewer'): Promise<string> {
  const projects = await cloud.request('GET', '/identity/v3/projects?name=demo');
  const project = projects.json.projects[0].id;
  const roles = await cloud.request('GET', '/identity/v3/roles?name=reader');
  const role = roles.json.roles[0].id;
  const user = await cloud.request('POST', '/identity/v3/users', { body: { user: { name, password: `${name}-pw`, domain_id: 'default', default_project_id: project } } });
  assert.equal(user.status, 201, JSON.stringify(user.json));
  const grant = await cloud.request('PUT', `/identity/v3/projects/${project}/users/${user.json.user.id}/roles/${role}`);
  assert.equal(grant.status, 204);
  const res = await fetch(`${cloud.url}/identity/v3/auth/tokens`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name, domain: { id: 'default' }, password: `${name}-pw` } } }, scope: { project: { id: project } } } }),
  });
  assert.equal(res.status, 201);
  return res.headers.get('x-subject-token')!;
}

/** POST /servers/{id}/action with a raw token; the status. */
export async function actionStatusWithToken(cloud: TestCloud, token: string, id: string, body: unknown, version = '2.1'): Promise<number> {
  const res = await fetch(`${cloud.url}/compute/v2.1/servers/${id}/action`, {
    method: 'POST', headers: { 'x-auth-token': token, 'content-type': 'application/json', 'openstack-api-version': `compute ${version}` }, body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}
