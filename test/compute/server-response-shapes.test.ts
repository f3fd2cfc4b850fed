/**
 * Server responses in the shapes Nova gives and Tempest's schemas check:
 * the update view per microversion, accessIPv6 as Nova prints it, and the
 * changes-since filter read as ISO 8601 only.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { bootActive, privateNetworkId, uploadImage, computeVersion as at } from './fixtures.js';

describe('server response shapes', () => {
  let cloud: TestCloud;
  let server: any;

  before(async () => {
    cloud = await startTestCloud();
    const image = await uploadImage(cloud);
    const net = await privateNetworkId(cloud);
    server = await bootActive(cloud, { name: 'shapes', imageRef: image, flavorRef: '1', networks: [{ uuid: net }], accessIPv6: '0000:0000:0000:0000:0000:babe:220.12.22.2' });
  });
  after(async () => cloud?.close());

  test('accessIPv6 is shown compressed, as Nova (netaddr) prints it', async () => {
    assert.equal(server.accessIPv6, '::babe:dc0c:1602');
  });

  test('PUT /servers/{id} before 2.75 answers with the core view: no extended status, AZ, usage, key, groups or extended addresses', async () => {
    const res = await cloud.request('PUT', `/compute/v2.1/servers/${server.id}`, { headers: at('2.74'), body: { server: { name: 'shapes-1' } } });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const s = res.json.server;
    assert.equal(s.name, 'shapes-1');
    for (const key of ['OS-EXT-STS:vm_state', 'OS-EXT-AZ:availability_zone', 'OS-SRV-USG:launched_at', 'key_name', 'config_drive', 'security_groups', 'os-extended-volumes:volumes_attached', 'OS-EXT-SRV-ATTR:host', 'host_status']) {
      assert.equal(Object.hasOwn(s, key), false, key);
    }
    assert.deepEqual(Object.keys(s.addresses.private[0]).sort(), ['addr', 'version']);
    assert.equal(s.locked, false);
    assert.equal(s.description, null);
  });

  test('PUT /servers/{id} at 2.75 answers with the whole detail view', async () => {
    const res = await cloud.request('PUT', `/compute/v2.1/servers/${server.id}`, { headers: at('2.75'), body: { server: { name: 'shapes-2' } } });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const s = res.json.server;
    assert.equal(s['OS-EXT-STS:vm_state'], 'active');
    assert.equal(s['OS-EXT-SRV-ATTR:host'], server['OS-EXT-SRV-ATTR:host']);
    assert.ok(s.security_groups);
    assert.ok(s.addresses.private[0]['OS-EXT-IPS-MAC:mac_addr']);
  });

  test('changes-since that is not ISO 8601 is a 400; an ISO 8601 date lists', async () => {
    const bad = await cloud.request('GET', '/compute/v2.1/servers?changes-since=2011/01/01');
    assert.equal(bad.status, 400, JSON.stringify(bad.json));
    assert.match(bad.json.badRequest.message, /changes-since/);
    const ok = await cloud.request('GET', '/compute/v2.1/servers?changes-since=2011-01-01T00:00:00Z');
    assert.equal(ok.status, 200);
    assert.ok(ok.json.servers.some((s: { id: string }) => s.id === server.id));
  });
});
