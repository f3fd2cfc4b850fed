/**
 * Remote consoles: POST /servers/{id}/remote-consoles (2.6+) and the pre-2.6
 * os-getVNCConsole action answer with the console proxy's URL (the configured
 * base, with the port the test cloud's proxy picked) and a fresh token, as
 * Nova does; types a protocol does not serve and protocols not enabled are
 * 400s. The token is stored only as its hash.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { bootActive, readerToken, uploadImage, V237, computeVersion as mv } from './fixtures.js';

describe('remote consoles', () => {
  let cloud: TestCloud;
  let image: string;
  let server: any;

  before(async () => {
    cloud = await startTestCloud({ vnc: { novncproxy_base_url: 'http://console.example:6080/vnc_auto.html' }, serial_console: { enabled: 'true' } });
    image = await uploadImage(cloud);
    server = await bootActive(cloud, { name: 'console-me', imageRef: image, flavorRef: '1', networks: 'none' }, 'demo', V237);
  });
  after(async () => cloud?.close());

  const remote = (id: string, body: unknown, version = '2.6', who: 'admin' | 'demo' = 'demo') =>
    cloud.request('POST', `/compute/v2.1/servers/${id}/remote-consoles`, { who, body, headers: mv(version) });
  const act = (id: string, body: unknown, version = '2.1') =>
    cloud.request('POST', `/compute/v2.1/servers/${id}/action`, { who: 'demo', body, headers: mv(version) });

  test('2.6: a noVNC URL under the configured base with a token in its path parameter; each request a new token', async () => {
    const res = await remote(server.id, { remote_console: { protocol: 'vnc', type: 'novnc' } });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.deepEqual(Object.keys(res.json.remote_console).sort(), ['protocol', 'type', 'url']);
    assert.equal(res.json.remote_console.protocol, 'vnc');
    assert.equal(res.json.remote_console.type, 'novnc');
    const url = new URL(res.json.remote_console.url);
    assert.equal(`${url.hostname}${url.pathname}`, 'console.example/vnc_auto.html');
    assert.match(url.searchParams.get('path') ?? '', /^\?token=[0-9a-f-]{36}$/);
    const token = url.searchParams.get('path')!.slice('?token='.length);
    const rows = await cloud.database.db.selectFrom('console_auth_tokens' as never).selectAll().execute() as Array<Record<string, unknown>>;
    assert.ok(rows.length > 0);
    assert.ok(rows.every((r) => !JSON.stringify(r).includes(token)), 'the token itself is stored');
    const again = await remote(server.id, { remote_console: { protocol: 'vnc', type: 'novnc' } });
    assert.notEqual(again.json.remote_console.url, res.json.remote_console.url);
    const serial = await remote(server.id, { remote_console: { protocol: 'serial', type: 'serial' } });
    assert.equal(serial.status, 200);
    assert.match(serial.json.remote_console.url, /^ws:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f-]{36}$/);
  });

  test('before 2.6: os-getVNCConsole answers {console: {type, url}}; from 2.6 it is gone, and remote-consoles does not exist before it', async () => {
    const res = await act(server.id, { 'os-getVNCConsole': { type: 'novnc' } });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.console.type, 'novnc');
    assert.match(res.json.console.url, /^http:\/\/console\.example:\d+\/vnc_auto\.html\?path=%3Ftoken%3D/);
    assert.equal((await act(server.id, { 'os-getVNCConsole': { type: 'novnc' } }, '2.6')).status, 404);
    assert.equal((await remote(server.id, { remote_console: { protocol: 'vnc', type: 'novnc' } }, '2.5')).status, 404);
  });

  test('400: bad bodies in Nova\'s schema-error style, a type the protocol does not serve, a protocol not enabled; mks only from 2.8', async () => {
    for (const bad of [{}, { remote_console: {} }, { remote_console: { protocol: 'vnc' } }, { remote_console: { protocol: 'telnet', type: 'novnc' } }, { remote_console: { protocol: 'vnc', type: 'novnc', x: 1 } }]) {
      const res = await remote(server.id, bad);
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.match(res.json.badRequest.message, /Invalid input for field\/attribute|is a required property|Additional properties/);
    }
    const mismatch = await remote(server.id, { remote_console: { protocol: 'vnc', type: 'serial' } });
    assert.equal(mismatch.status, 400);
    assert.match(mismatch.json.badRequest.message, /Invalid console type serial/);
    const spice = await remote(server.id, { remote_console: { protocol: 'spice', type: 'spice-html5' } });
    assert.equal(spice.status, 400);
    assert.match(spice.json.badRequest.message, /Unavailable console type spice-html5/);
    assert.equal((await remote(server.id, { remote_console: { protocol: 'mks', type: 'webmks' } }, '2.6')).status, 400);
    const mks = await remote(server.id, { remote_console: { protocol: 'mks', type: 'webmks' } }, '2.8');
    assert.equal(mks.status, 400);
    assert.match(mks.json.badRequest.message, /Unavailable console type webmks/);
    assert.equal((await act(server.id, { 'os-getVNCConsole': { type: 'bogus' } })).status, 400);
  });

  test('policy: a reader may not; another project\'s server is a 404; 409 while the server has no host', async () => {
    const reader = await readerToken(cloud);
    const res = await fetch(`${cloud.url}/compute/v2.1/servers/${server.id}/remote-consoles`, {
      method: 'POST', headers: { 'x-auth-token': reader, 'content-type': 'application/json', 'openstack-api-version': 'compute 2.6' },
      body: JSON.stringify({ remote_console: { protocol: 'vnc', type: 'novnc' } }),
    });
    assert.equal(res.status, 403);
    const theirs = await bootActive(cloud, { name: 'admins-console', imageRef: image, flavorRef: '1', networks: 'none' }, 'admin', V237);
    assert.equal((await remote(theirs.id, { remote_console: { protocol: 'vnc', type: 'novnc' } })).status, 404);
    assert.equal((await remote(theirs.id, { remote_console: { protocol: 'vnc', type: 'novnc' } }, '2.6', 'admin')).status, 200);

    const shelved = await bootActive(cloud, { name: 'console-shelved', imageRef: image, flavorRef: '1', networks: 'none' }, 'demo', V237);
    assert.equal((await act(shelved.id, { shelve: null })).status, 202);
    await cloud.waitForServer(shelved.id, 'SHELVED_OFFLOADED', 'demo');
    const notReady = await remote(shelved.id, { remote_console: { protocol: 'vnc', type: 'novnc' } });
    assert.equal(notReady.status, 409);
    assert.match(notReady.json.conflictingRequest.message, /is not ready/);
  });
});
