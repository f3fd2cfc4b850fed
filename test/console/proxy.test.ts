/**
 * The console proxies of the all-in-one, end to end with the fake hypervisor:
 * a console URL's token reaches the guest's VNC display (RFB through the
 * noVNC proxy) or its serial line (echo through the serial proxy); a bad,
 * expired, deleted-server or wrong-type token and a foreign Origin get the
 * connection closed without a byte; noVNC's page is served from [DEFAULT] web.
 * The display's name is the server's instance_name, from [DEFAULT]
 * instance_name_template in both the driver and the API.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { bootActive, uploadImage, V237 } from '../compute/fixtures.js';
import { openConsole, rfbHandshake } from '../helpers/console-client.js';

const V26 = { 'openstack-api-version': 'compute 2.6' };

describe('console proxies', () => {
  let cloud: TestCloud;
  let image: string;
  let server: any;
  let web: string;
  let outsideFile: string;

  before(async () => {
    web = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-novnc-'));
    fs.writeFileSync(path.join(web, 'vnc_auto.html'), '<html><head><script src="app.js"></script></head><body>noVNC</body></html>\n');
    outsideFile = path.join(path.dirname(web), `${path.basename(web)}-outside.txt`);
    fs.writeFileSync(outsideFile, 'secret');
    cloud = await startTestCloud({ DEFAULT: { web, instance_name_template: 'console-%04x' }, serial_console: { enabled: 'true' } });
    image = await uploadImage(cloud);
    server = await bootActive(cloud, { name: 'console-proxy', imageRef: image, flavorRef: '1', networks: 'none' }, 'admin', V237);
  });
  after(async () => {
    await cloud?.close();
    fs.rmSync(web, { recursive: true, force: true });
    fs.rmSync(outsideFile, { force: true });
  });

  async function consoleUrl(id: string, protocol: 'vnc' | 'serial' = 'vnc'): Promise<string> {
    const res = await cloud.request('POST', `/compute/v2.1/servers/${id}/remote-consoles`, {
      headers: V26, body: { remote_console: { protocol, type: protocol === 'vnc' ? 'novnc' : 'serial' } },
    });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    return res.json.remote_console.url;
  }

  /** The websocket URL a noVNC page opens for a console URL (its token travels in "path"). */
  function websocketUrl(consoleUrlText: string): string {
    const url = new URL(consoleUrlText);
    const inner = url.searchParams.get('path');
    return inner === null ? consoleUrlText : `ws://${url.host}/${inner}`;
  }

  async function expectClosedWithoutData(url: string, headers: Record<string, string> = {}): Promise<void> {
    const c = openConsole(url, headers);
    const received = await c.closed;
    assert.equal(received.length, 0, 'the proxy sent data on a refused connection');
  }

  test('a noVNC console URL serves noVNC\'s page, and its token relays the guest\'s RFB display', async () => {
    const url = await consoleUrl(server.id);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /noVNC/);
    const c = openConsole(websocketUrl(url));
    await c.opened;
    const init = await rfbHandshake(c);
    assert.match(server['OS-EXT-SRV-ATTR:instance_name'], /^console-[0-9a-f]{4}$/);
    assert.equal(init.name, server['OS-EXT-SRV-ATTR:instance_name']);
    assert.ok(init.width > 0 && init.height > 0);
    // A full update of a 4×2 corner: one raw rectangle of 4×2 pixels at 4 bytes each.
    c.send([3, 0, 0, 0, 0, 0, 0, 4, 0, 2]);
    const update = await c.read(4 + 12 + 4 * 2 * 4);
    assert.equal(update.readUInt16BE(2), 1);
    assert.equal(update.readInt32BE(4 + 8), 0);
    c.ws.close();
    await c.closed;
  });

  test('the token may come as a cookie (noVNC before 1.1); a matching Origin is accepted', async () => {
    const url = new URL(await consoleUrl(server.id));
    const token = new URLSearchParams(url.searchParams.get('path')!.slice(1)).get('token')!;
    const c = openConsole(`ws://${url.host}/websockify`, { cookie: `other=1; token=${token}`, origin: `http://${url.hostname}` });
    await c.opened;
    assert.equal((await c.read(12)).toString('latin1'), 'RFB 003.008\n');
    c.ws.close();
    await c.closed;
  });

  test('a bad token, an expired one, a serial token on the noVNC proxy and a foreign Origin: closed without a byte', async () => {
    const url = websocketUrl(await consoleUrl(server.id));
    await expectClosedWithoutData(url.replace('token=', 'token=bad'));
    await expectClosedWithoutData(url.replace(/\?token=.*/, ''));
    await expectClosedWithoutData(url, { origin: 'http://evil.example' });
    await expectClosedWithoutData(url, { origin: 'https://127.0.0.1' });

    const serial = new URL(await consoleUrl(server.id, 'serial'));
    await expectClosedWithoutData(`${url.replace(/\?token=.*/, '')}?token=${serial.searchParams.get('token')}`);

    const expiring = websocketUrl(await consoleUrl(server.id));
    await cloud.database.db.updateTable('console_auth_tokens' as never).set({ expires: 1 } as never).execute();
    await expectClosedWithoutData(expiring);
  });

  test('a serial console URL reaches the guest\'s serial line, which echoes', async () => {
    const url = await consoleUrl(server.id, 'serial');
    assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+\/\?token=/);
    const c = openConsole(url);
    await c.opened;
    c.send(Buffer.from('ls -l\r'));
    assert.equal((await c.read(6)).toString(), 'ls -l\r');
    c.ws.close();
    await c.closed;
  });

  test('deleting the server deletes its tokens and ends its open console', async () => {
    const doomed = await bootActive(cloud, { name: 'console-doomed', imageRef: image, flavorRef: '1', networks: 'none' }, 'admin', V237);
    const url = websocketUrl(await consoleUrl(doomed.id));
    const open = openConsole(url);
    await open.opened;
    await open.read(12);
    assert.equal((await cloud.request('DELETE', `/compute/v2.1/servers/${doomed.id}`)).status, 204);
    await cloud.waitForServer(doomed.id, 'DELETED');
    await open.closed;
    const rows = await cloud.database.db.selectFrom('console_auth_tokens' as never).selectAll().where('instance_uuid' as never, '=', doomed.id as never).execute();
    assert.equal(rows.length, 0);
    await expectClosedWithoutData(url);
  });

  test('plain GETs: only files under the web root; a missing file or root is a 404 that says so', async () => {
    const base = new URL(await consoleUrl(server.id));
    assert.equal((await fetch(`${base.origin}/vnc_auto.html`)).status, 200);
    assert.equal((await fetch(`${base.origin}/nothing-here.html`)).status, 404);
    // Sent as is (fetch would resolve the dots itself).
    const outside = `/../${path.basename(outsideFile)}`;
    const status = await new Promise<number>((resolve, reject) => {
      http.get({ host: base.hostname, port: base.port, path: outside }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject);
    });
    assert.equal(status, 404);
    fs.rmSync(web, { recursive: true, force: true });
    const missing = await fetch(base.toString());
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /noVNC is not installed/);
    fs.mkdirSync(web);
    fs.writeFileSync(path.join(web, 'vnc_auto.html'), '<html>noVNC</html>\n');
  });
});
