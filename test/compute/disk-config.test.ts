/**
 * OS-DCF:diskConfig (Nova's instances.auto_disk_config): chosen at create,
 * else taken from the image's auto_disk_config property; changed by update,
 * rebuild and resize as Nova changes it; refused (400) where the image
 * disables it, with nothing written.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { functionalSuite, startFunctionalCloud, type FunctionalCloud } from '../helpers/functional-cloud.js';
import { bootActive, uploadImage, V237 } from './fixtures.js';

const DCF = 'OS-DCF:diskConfig';

describe(...functionalSuite('OS-DCF:diskConfig'), () => {
  let cloud: FunctionalCloud;
  let plain: string;
  let autoImage: string;
  let disabledImage: string;
  before(async () => {
    cloud = await startFunctionalCloud({ DEFAULT: { allow_resize_to_same_host: 'true' } });
    plain = await uploadImage(cloud, 'plain');
    autoImage = await uploadImage(cloud, 'auto');
    disabledImage = await uploadImage(cloud, 'no-auto');
    for (const [id, value] of [[autoImage, 'True'], [disabledImage, 'disabled']]) {
      const res = await cloud.request('PATCH', `/image/v2/images/${id}`, {
        headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' }, body: [{ op: 'add', path: '/auto_disk_config', value }],
      });
      assert.equal(res.status, 200, JSON.stringify(res.json));
    }
  });
  after(async () => cloud?.close());

  const boot = (name: string, imageRef: string, extra: Record<string, unknown> = {}) =>
    bootActive(cloud, { name, imageRef, flavorRef: '1', networks: 'none', ...extra }, 'demo', V237);
  const show = async (id: string) => (await cloud.request('GET', `/compute/v2.1/servers/${id}`, { who: 'demo' })).json.server;
  const act = (id: string, body: unknown) => cloud.request('POST', `/compute/v2.1/servers/${id}/action`, { who: 'demo', body });

  test('create: the requested value, else the image property, else MANUAL; the create response says which', async () => {
    const res = await cloud.request('POST', '/compute/v2.1/servers', { who: 'demo', headers: V237, body: { server: { name: 'dcf-auto', imageRef: plain, flavorRef: '1', networks: 'none', [DCF]: 'AUTO' } } });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    assert.equal(res.json.server[DCF], 'AUTO');
    assert.equal((await show(res.json.server.id))[DCF], 'AUTO');
    assert.equal((await boot('dcf-default', plain))[DCF], 'MANUAL');
    assert.equal((await boot('dcf-from-image', autoImage))[DCF], 'AUTO');
    assert.equal((await boot('dcf-manual-over-image', autoImage, { [DCF]: 'MANUAL' }))[DCF], 'MANUAL');
  });

  test('AUTO on an image that disables it is 400 and makes no server; an unknown value is 400', async () => {
    const before = (await cloud.request('GET', '/compute/v2.1/servers', { who: 'demo' })).json.servers.length;
    const refused = await cloud.request('POST', '/compute/v2.1/servers', { who: 'demo', headers: V237, body: { server: { name: 'dcf-no', imageRef: disabledImage, flavorRef: '1', networks: 'none', [DCF]: 'AUTO' } } });
    assert.equal(refused.status, 400);
    assert.equal(refused.json.badRequest.message, `Requested image ${disabledImage} has automatic disk resize disabled.`);
    const bad = await cloud.request('POST', '/compute/v2.1/servers', { who: 'demo', headers: V237, body: { server: { name: 'dcf-bad', imageRef: plain, flavorRef: '1', networks: 'none', [DCF]: 'auto' } } });
    assert.equal(bad.status, 400);
    assert.match(bad.json.badRequest.message, /Invalid input/);
    assert.equal((await cloud.request('GET', '/compute/v2.1/servers', { who: 'demo' })).json.servers.length, before);
  });

  test('update changes it; rebuild takes the requested value or the new image\'s', async () => {
    const server = await boot('dcf-update', plain, { [DCF]: 'AUTO' });
    const updated = await cloud.request('PUT', `/compute/v2.1/servers/${server.id}`, { who: 'demo', body: { server: { [DCF]: 'MANUAL' } } });
    assert.equal(updated.status, 200, JSON.stringify(updated.json));
    assert.equal(updated.json.server[DCF], 'MANUAL');
    assert.equal((await show(server.id))[DCF], 'MANUAL');

    assert.equal((await act(server.id, { rebuild: { imageRef: plain, [DCF]: 'AUTO' } })).status, 202);
    assert.equal((await cloud.waitForServer(server.id, 'ACTIVE', 'demo'))[DCF], 'AUTO');
    assert.equal((await act(server.id, { rebuild: { imageRef: plain } })).status, 202);
    assert.equal((await cloud.waitForServer(server.id, 'ACTIVE', 'demo'))[DCF], 'MANUAL');
    const refused = await act(server.id, { rebuild: { imageRef: disabledImage, [DCF]: 'AUTO' } });
    assert.equal(refused.status, 400);
    assert.equal((await show(server.id))['OS-EXT-STS:task_state'], null);
  });

  test('resize sets it: AUTO when asked, MANUAL otherwise (as Nova)', async () => {
    const server = await boot('dcf-resize', plain);
    assert.equal((await act(server.id, { resize: { flavorRef: '2', [DCF]: 'AUTO' } })).status, 202);
    assert.equal((await cloud.waitForServer(server.id, 'VERIFY_RESIZE', 'demo'))[DCF], 'AUTO');
    assert.equal((await act(server.id, { confirmResize: null })).status, 204);
    await cloud.waitForServer(server.id, 'ACTIVE', 'demo');
    assert.equal((await act(server.id, { resize: { flavorRef: '3' } })).status, 202);
    assert.equal((await cloud.waitForServer(server.id, 'VERIFY_RESIZE', 'demo'))[DCF], 'MANUAL');
  });
});
