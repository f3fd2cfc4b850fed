/** 2.63 trusted_image_certificates: kept at create, shown in every server view, replaced or cleared by rebuild. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { uploadImage, computeVersion as at } from './fixtures.js';

describe('trusted image certificates', () => {
  let cloud: TestCloud;
  let image: string;
  before(async () => {
    cloud = await startTestCloud();
    image = await uploadImage(cloud);
  });
  after(async () => cloud?.close());

  test('create keeps them, show and detail show them from 2.63, rebuild replaces or clears them', async () => {
    const res = await cloud.request('POST', '/compute/v2.1/servers', {
      who: 'demo', headers: at('2.63'), body: { server: { name: 'certs', imageRef: image, flavorRef: '1', networks: 'none', trusted_image_certificates: ['c1', 'c2'] } },
    });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    const id = res.json.server.id;
    const shown = await cloud.waitForServer(id, 'ACTIVE', 'demo');
    assert.ok(!('trusted_image_certificates' in shown), 'not shown before 2.63');
    const show = async () => (await cloud.request('GET', `/compute/v2.1/servers/${id}`, { who: 'demo', headers: at('2.63') })).json.server.trusted_image_certificates;
    assert.deepEqual(await show(), ['c1', 'c2']);
    const detail = (await cloud.request('GET', '/compute/v2.1/servers/detail', { who: 'demo', headers: at('2.63') })).json.servers.find((s: any) => s.id === id);
    assert.deepEqual(detail.trusted_image_certificates, ['c1', 'c2']);

    const rebuild = async (certs: unknown) => {
      const r = await cloud.request('POST', `/compute/v2.1/servers/${id}/action`, { who: 'demo', headers: at('2.63'), body: { rebuild: { imageRef: image, trusted_image_certificates: certs } } });
      assert.equal(r.status, 202, JSON.stringify(r.json));
      await cloud.waitForServer(id, 'ACTIVE', 'demo');
    };
    await rebuild(['c3']);
    assert.deepEqual(await show(), ['c3']);
    await rebuild(null);
    assert.equal(await show(), null);
  });
});
