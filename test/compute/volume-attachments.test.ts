/**
 * /servers/{id}/os-volume_attachments without a volume service: nothing is
 * attached, and every volume is unknown (404), after Nova's per-version
 * validation (2.49 tag, 2.79 delete_on_termination, 2.85 update in place),
 * policy, lock and state checks.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { bootActive, uploadImage, computeVersion as at } from './fixtures.js';

describe('volume attachments without volumes', () => {
  let cloud: TestCloud;
  let server: string;
  const volume = randomUUID();
  before(async () => {
    cloud = await startTestCloud();
    const image = await uploadImage(cloud);
    server = (await bootActive(cloud, { name: 'no-volumes', imageRef: image, flavorRef: '1', networks: 'none' }, 'demo', at('2.37'))).id;
  });
  after(async () => cloud?.close());

  const base = () => `/compute/v2.1/servers/${server}/os-volume_attachments`;

  test('the list is empty; an unknown query parameter is a 400 from 2.75', async () => {
    const res = await cloud.request('GET', base(), { who: 'demo' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { volumeAttachments: [] });
    assert.equal((await cloud.request('GET', `${base()}?colour=red`, { who: 'demo', headers: at('2.74') })).status, 200);
    assert.equal((await cloud.request('GET', `${base()}?colour=red`, { who: 'demo', headers: at('2.75') })).status, 400);
    assert.equal((await cloud.request('GET', `${base()}?limit=-1`, { who: 'demo' })).status, 400);
  });

  test('show is a 404: the server is not attached to the volume', async () => {
    const res = await cloud.request('GET', `${base()}/${volume}`, { who: 'demo' });
    assert.equal(res.status, 404);
    assert.equal(res.json.itemNotFound.message, `Instance ${server} is not attached to volume ${volume}`);
  });

  test('attach validates per microversion, then the volume cannot be found', async () => {
    const attach = (attachment: Record<string, unknown>, v: string) =>
      cloud.request('POST', base(), { who: 'demo', headers: at(v), body: { volumeAttachment: { volumeId: volume, ...attachment } } });
    assert.equal((await attach({ tag: 'data' }, '2.48')).status, 400);
    assert.equal((await attach({ delete_on_termination: true }, '2.78')).status, 400);
    assert.equal((await attach({ device: 'not-a-device' }, '2.1')).status, 400);
    const res = await attach({ tag: 'data', delete_on_termination: true }, '2.79');
    assert.equal(res.status, 404);
    assert.equal(res.json.itemNotFound.message, `Volume ${volume} could not be found.`);
    const notUuid = await cloud.request('POST', base(), { who: 'demo', body: { volumeAttachment: { volumeId: 'vol-1' } } });
    assert.equal(notUuid.status, 400);
  });

  test('update is an admin\'s swap before 2.85; from it the owner may update in place (404 here)', async () => {
    const put = (attachment: Record<string, unknown>, v: string, who: 'admin' | 'demo' = 'demo') =>
      cloud.request('PUT', `${base()}/${volume}`, { who, headers: at(v), body: { volumeAttachment: { volumeId: volume, ...attachment } } });
    assert.equal((await put({}, '2.84')).status, 403);
    assert.equal((await put({ delete_on_termination: true }, '2.84', 'admin')).status, 400);
    const swap = await put({}, '2.84', 'admin');
    assert.equal(swap.status, 404);
    assert.equal(swap.json.itemNotFound.message, `Volume ${volume} could not be found.`);
    const inPlace = await put({ delete_on_termination: true }, '2.85');
    assert.equal(inPlace.status, 404);
    assert.match(inPlace.json.itemNotFound.message, /No volume Block Device Mapping/);
    assert.equal((await put({ delete_on_termination: 'sometimes' }, '2.85')).status, 400);
    assert.equal((await put({ id: randomUUID() }, '2.85')).status, 400);
    // Naming another volume is a swap even at 2.85.
    const other = await cloud.request('PUT', `${base()}/${volume}`, { who: 'demo', headers: at('2.85'), body: { volumeAttachment: { volumeId: randomUUID() } } });
    assert.equal(other.status, 403);
  });

  test('detach of an unknown volume is a 404', async () => {
    const res = await cloud.request('DELETE', `${base()}/${volume}`, { who: 'demo' });
    assert.equal(res.status, 404);
  });

  test('another project sees no server; a locked server refuses attach to others with 409', async () => {
    const mine = await cloud.request('POST', '/compute/v2.1/servers', { who: 'admin', headers: at('2.37'), body: { server: { name: 'admins', imageRef: (await cloud.request('GET', `/compute/v2.1/servers/${server}`)).json.server.image.id, flavorRef: '1', networks: 'none' } } });
    assert.equal(mine.status, 202);
    const adminServer = mine.json.server.id;
    await cloud.waitForServer(adminServer, 'ACTIVE');
    assert.equal((await cloud.request('GET', `/compute/v2.1/servers/${adminServer}/os-volume_attachments`, { who: 'demo' })).status, 404);
    assert.equal((await cloud.request('POST', `/compute/v2.1/servers/${server}/action`, { who: 'admin', body: { lock: null } })).status, 202);
    const locked = await cloud.request('POST', base(), { who: 'demo', body: { volumeAttachment: { volumeId: volume } } });
    assert.equal(locked.status, 409);
    assert.equal((await cloud.request('POST', `/compute/v2.1/servers/${server}/action`, { who: 'admin', body: { unlock: null } })).status, 202);
  });
});
