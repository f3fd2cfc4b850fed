/** A restart on the same state path finds every server, image and network where it was. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/conf/loader.js';
import { startAllInOne, type AllInOne } from '../../src/cli/all-in-one.js';
import { testLogger } from '../helpers/logger.js';

async function start(statePath: string): Promise<AllInOne> {
  return startAllInOne({
    conf: loadConfig({ env: {}, overrides: {
      DEFAULT: { state_path: statePath, osapi_compute_listen_port: 0, report_interval: 1, compute_driver: 'fake.FakeDriver' },
      identity: { admin_password: 'pw-admin', demo_password: 'pw-demo' },
      vnc: { novncproxy_host: '127.0.0.1', novncproxy_port: 0 },
    } }),
    logger: testLogger,
  });
}

async function call(url: string, token: string | null, method: string, p: string, body?: unknown) {
  const res = await fetch(url + p, {
    method, headers: { ...(token ? { 'x-auth-token': token } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), 'openstack-api-version': 'compute 2.37' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

async function adminToken(url: string): Promise<string> {
  const res = await call(url, null, 'POST', '/identity/v3/auth/tokens', { auth: {
    identity: { methods: ['password'], password: { user: { name: 'admin', domain: { name: 'Default' }, password: 'pw-admin' } } },
    scope: { project: { name: 'admin', domain: { name: 'Default' } } },
  } });
  assert.equal(res.status, 201);
  return res.headers.get('x-subject-token')!;
}

test('servers, images and networks survive a restart, and servers stay ACTIVE and running', async () => {
  const statePath = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-restart-'));
  try {
    let cloud = await start(statePath);
    let token = await adminToken(cloud.url);
    const img = await call(cloud.url, token, 'POST', '/image/v2/images', { name: 'keep', disk_format: 'raw', container_format: 'bare' });
    const up = await fetch(`${cloud.url}/image/v2/images/${img.json.id}/file`, { method: 'PUT', headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(1024, 1) });
    assert.equal(up.status, 204);
    const net = (await call(cloud.url, token, 'GET', '/network/v2.0/networks?name=private')).json.networks[0];
    const created = await call(cloud.url, token, 'POST', '/compute/v2.1/servers', { server: { name: 'survivor', imageRef: img.json.id, flavorRef: '1', networks: [{ uuid: net.id }] } });
    assert.equal(created.status, 202);
    const id = created.json.server.id;
    let server: any;
    for (let i = 0; i < 400; i++) {
      server = (await call(cloud.url, token, 'GET', `/compute/v2.1/servers/${id}`)).json.server;
      if (server.status === 'ACTIVE') break;
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(server.status, 'ACTIVE');
    await cloud.close();

    cloud = await start(statePath);
    try {
      token = await adminToken(cloud.url);
      const again = (await call(cloud.url, token, 'GET', `/compute/v2.1/servers/${id}`)).json.server;
      assert.equal(again.status, 'ACTIVE');
      assert.equal(again['OS-EXT-STS:power_state'], 1);
      assert.deepEqual(again.addresses, server.addresses);
      const image = await call(cloud.url, token, 'GET', `/image/v2/images/${img.json.id}`);
      assert.equal(image.json.status, 'active');
      assert.equal(image.json.size, 1024);
      const nets = await call(cloud.url, token, 'GET', '/network/v2.0/networks?name=private');
      assert.equal(nets.json.networks[0].id, net.id);
      assert.deepEqual(await cloud.fakeDriver!.listInstances(), [id]);
      const del = await call(cloud.url, token, 'DELETE', `/compute/v2.1/servers/${id}`);
      assert.equal(del.status, 204);
    } finally {
      await cloud.close();
    }
  } finally {
    fs.rmSync(statePath, { recursive: true, force: true });
  }
});
