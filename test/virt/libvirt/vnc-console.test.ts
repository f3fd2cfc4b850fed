/**
 * A real guest's VNC console through the noVNC proxy: the all-in-one with the
 * libvirt driver (QEMU TCG) boots the test guest with a VNC display, the
 * console URL's token reaches QEMU's own VNC server, and the RFB handshake
 * completes up to ServerInit, which names the domain.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTestCloud, type TestCloud } from '../../helpers/cloud.js';
import { libvirtDomainUuids, skipWithoutLibvirt, testGuestDir, uniqueInstanceNameTemplate, virsh } from '../../helpers/libvirt.js';
import { buildTestGuest } from '../../../src/virt/libvirt/test-guest/build.js';
import { readCloudAuth, registerTestGuest } from '../../../src/cli/register-test-guest.js';
import { cloudsYamlPath } from '../../../src/cli/clouds-yaml.js';
import { privateNetworkId } from '../../compute/fixtures.js';
import { openConsole, rfbHandshake } from '../../helpers/console-client.js';

describe('VNC console of a real guest through the noVNC proxy (libvirt, QEMU TCG)', { skip: skipWithoutLibvirt, timeout: 900_000 }, () => {
  let cloud: TestCloud;
  let serverId = '';

  before(async () => {
    cloud = await startTestCloud({
      DEFAULT: { compute_driver: 'libvirt.LibvirtDriver', web: path.join(testGuestDir(), 'no-novnc-here'), instance_name_template: uniqueInstanceNameTemplate() },
      libvirt: { virt_type: 'qemu' },
    });
    const built = await buildTestGuest({ outputDir: testGuestDir() });
    await registerTestGuest(readCloudAuth(cloudsYamlPath(cloud.statePath), 'kilonova'), built, { name: 'vnc-test-guest', visibility: 'public' });
  });

  after(async () => {
    if (serverId && libvirtDomainUuids().includes(serverId)) {
      await cloud.request('DELETE', `/compute/v2.1/servers/${serverId}`).catch(() => undefined);
      await cloud.waitForServer(serverId, 'DELETED', 'admin', 120_000).catch(() => undefined);
    }
    const instances = path.join(cloud?.statePath ?? '/nonexistent', 'instances');
    // A failed test must not leave a running guest on the machine.
    for (const uuid of libvirtDomainUuids()) {
      if (!fs.existsSync(path.join(instances, uuid))) continue;
      try { virsh('destroy', uuid); } catch { /* not running */ }
      try { virsh('undefine', uuid, '--managed-save'); } catch { /* gone */ }
    }
    await cloud?.close();
  });

  test('the domain has a VNC display on [vnc] server_listen; the console URL completes the RFB handshake with QEMU', async () => {
    const images = await cloud.request('GET', '/image/v2/images?name=vnc-test-guest');
    const created = await cloud.request('POST', '/compute/v2.1/servers', {
      body: { server: { name: 'vnc-guest', imageRef: images.json.images[0].id, flavorRef: '1', networks: [{ uuid: await privateNetworkId(cloud) }] } },
    });
    assert.equal(created.status, 202, JSON.stringify(created.json));
    serverId = created.json.server.id;
    const server = await cloud.waitForServer(serverId, 'ACTIVE', 'admin', 300_000);

    const xml = virsh('dumpxml', serverId);
    assert.match(xml, /<graphics type='vnc' port='\d+' autoport='yes' listen='127\.0\.0\.1'/);

    const res = await cloud.request('POST', `/compute/v2.1/servers/${serverId}/remote-consoles`, {
      headers: { 'openstack-api-version': 'compute 2.6' }, body: { remote_console: { protocol: 'vnc', type: 'novnc' } },
    });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const url = new URL(res.json.remote_console.url);
    // No noVNC files at the configured web root: the page is a 404 that says why, the websocket still works.
    const page = await fetch(url);
    assert.equal(page.status, 404);
    assert.match(await page.text(), /noVNC is not installed/);

    const c = openConsole(`ws://${url.host}/${url.searchParams.get('path')}`);
    await c.opened;
    const init = await rfbHandshake(c);
    // QEMU's own VNC server names the desktop after the domain.
    assert.equal(init.name, `QEMU (${server['OS-EXT-SRV-ATTR:instance_name']})`);
    assert.ok(init.width > 0 && init.height > 0);
    c.ws.close();
    await c.closed;
  });

  test('a stopped guest has no VNC display: 400 Unavailable console type', async () => {
    assert.equal((await cloud.request('POST', `/compute/v2.1/servers/${serverId}/action`, { body: { 'os-stop': null } })).status, 202);
    await cloud.waitForServer(serverId, 'SHUTOFF', 'admin', 120_000);
    const res = await cloud.request('POST', `/compute/v2.1/servers/${serverId}/remote-consoles`, {
      headers: { 'openstack-api-version': 'compute 2.6' }, body: { remote_console: { protocol: 'vnc', type: 'novnc' } },
    });
    assert.equal(res.status, 400, JSON.stringify(res.json));
    assert.match(res.json.badRequest.message, /Unavailable console type novnc/);
  });
});
