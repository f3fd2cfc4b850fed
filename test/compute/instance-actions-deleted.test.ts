/** os-instance-actions of a deleted server: readable from 2.21 (as Nova), 404 before. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { bootActive, uploadImage, V237, computeVersion as at } from './fixtures.js';

describe('instance actions of a deleted server', () => {
  let cloud: TestCloud;
  let image: string;
  before(async () => {
    cloud = await startTestCloud();
    image = await uploadImage(cloud);
  });
  after(async () => cloud?.close());

  test('from 2.21 the owner still lists and shows them after the delete; at 2.20 the server is gone', async () => {
    const server = await bootActive(cloud, { name: 'gone', imageRef: image, flavorRef: '1', networks: 'none' }, 'demo', V237);
    const del = await cloud.request('DELETE', `/compute/v2.1/servers/${server.id}`, { who: 'demo' });
    assert.equal(del.status, 204);
    await cloud.waitForServer(server.id, 'DELETED', 'demo');

    const list = await cloud.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions`, { who: 'demo', headers: at('2.21') });
    assert.equal(list.status, 200, JSON.stringify(list.json));
    assert.deepEqual(list.json.instanceActions.map((a: { action: string }) => a.action), ['delete', 'create']);
    const rid = del.headers.get('x-compute-request-id');
    const shown = await cloud.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions/${rid}`, { who: 'demo', headers: at('2.21') });
    assert.equal(shown.status, 200);
    assert.equal(shown.json.instanceAction.action, 'delete');

    const old = await cloud.request('GET', `/compute/v2.1/servers/${server.id}/os-instance-actions`, { who: 'demo', headers: at('2.20') });
    assert.equal(old.status, 404);
    // A deleted server is no more visible to another project than a live one.
    const admins = await bootActive(cloud, { name: 'admins', imageRef: image, flavorRef: '1', networks: 'none' }, 'admin', V237);
    assert.equal((await cloud.request('DELETE', `/compute/v2.1/servers/${admins.id}`)).status, 204);
    await cloud.waitForServer(admins.id, 'DELETED');
    const foreign = await cloud.request('GET', `/compute/v2.1/servers/${admins.id}/os-instance-actions`, { who: 'demo', headers: at('2.21') });
    assert.equal(foreign.status, 404);
    assert.equal((await cloud.request('GET', `/compute/v2.1/servers/${admins.id}/os-instance-actions`, { headers: at('2.21') })).status, 200);
  });
});
