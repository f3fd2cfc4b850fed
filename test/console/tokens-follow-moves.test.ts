/**
 * Console tokens lead to one host's display: when the server moves (live
 * migration, a resize to the other host, evacuation) its tokens are deleted,
 * the old URL is refused, and a new URL reaches the display on the new host.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { bootActive, uploadImage, V237, computeVersion as mv } from '../compute/fixtures.js';
import { openConsole, rfbHandshake } from '../helpers/console-client.js';
import type { ComputeDb } from '../../src/compute/db/tables.js';

describe('console tokens when the server moves', () => {
  let cloud: TestCloud;
  let image: string;

  before(async () => {
    cloud = await startTestCloud({}, { fakeHosts: 2 });
    image = await uploadImage(cloud);
  });
  after(async () => cloud?.close());

  const act = (id: string, body: unknown, version = '2.30') => cloud.request('POST', `/compute/v2.1/servers/${id}/action`, { body, headers: mv(version) });
  const tokensOf = (id: string) => (cloud.database.db as ComputeDb).selectFrom('console_auth_tokens').select('id').where('instance_uuid', '=', id).execute();

  async function vncWebsocketUrl(id: string): Promise<string> {
    const res = await cloud.request('POST', `/compute/v2.1/servers/${id}/remote-consoles`, { headers: mv('2.6'), body: { remote_console: { protocol: 'vnc', type: 'novnc' } } });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const url = new URL(res.json.remote_console.url);
    return `ws://${url.host}/${url.searchParams.get('path')}`;
  }

  /** Boots a server, takes a console URL, moves the server with `move`, and checks the URL died with the move. */
  async function moveAndCheck(name: string, move: (id: string, source: string) => Promise<void>, settled: string): Promise<void> {
    const server = await bootActive(cloud, { name, imageRef: image, flavorRef: '1', networks: 'none' }, 'admin', V237);
    const source = server['OS-EXT-SRV-ATTR:host'];
    const before = await vncWebsocketUrl(server.id);
    assert.equal((await tokensOf(server.id)).length, 1);
    await move(server.id, source);
    const deadline = Date.now() + 15_000;
    let moved: any;
    do {
      moved = (await cloud.request('GET', `/compute/v2.1/servers/${server.id}`)).json.server;
      if (moved['OS-EXT-SRV-ATTR:host'] !== source && moved.status === settled && moved['OS-EXT-STS:task_state'] === null) break;
      await new Promise((r) => setTimeout(r, 5));
    } while (Date.now() < deadline);
    assert.notEqual(moved['OS-EXT-SRV-ATTR:host'], source, JSON.stringify(moved));
    assert.equal(moved.status, settled);
    assert.deepEqual(await tokensOf(server.id), []);
    assert.equal((await openConsole(before).closed).length, 0, 'the old URL still leads somewhere');
    if (settled === 'SHUTOFF') return;
    const c = openConsole(await vncWebsocketUrl(server.id));
    await c.opened;
    assert.equal((await rfbHandshake(c)).name, server['OS-EXT-SRV-ATTR:instance_name']);
    c.ws.close();
    await c.closed;
  }

  test('live migration', async () => {
    await moveAndCheck('console-live', async (id) => {
      assert.equal((await act(id, { 'os-migrateLive': { host: null, block_migration: 'auto' } })).status, 202);
    }, 'ACTIVE');
  });

  test('a resize to the other host', async () => {
    await moveAndCheck('console-resize', async (id) => {
      assert.equal((await act(id, { resize: { flavorRef: '2' } })).status, 202);
    }, 'VERIFY_RESIZE');
  });

  test('evacuation from a host that is down', async () => {
    await moveAndCheck('console-evacuate', async (id, source) => {
      const down = await cloud.request('PUT', '/compute/v2.1/os-services/force-down', { body: { host: source, binary: 'nova-compute', forced_down: true }, headers: mv('2.11') });
      assert.equal(down.status, 200, JSON.stringify(down.json));
      const res = await act(id, { evacuate: {} }, '2.14');
      assert.equal(res.status, 200, JSON.stringify(res.json));
    }, 'ACTIVE');
  });
});
