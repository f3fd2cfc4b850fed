/** /images and /images/{id}/metadata: Nova's proxy to the image service, up to its cut-off microversions. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { uploadImage, computeVersion as at } from '../compute/fixtures.js';

describe('images proxy', () => {
  let cloud: TestCloud;
  let publicImage: string;
  let privateImage: string;

  before(async () => {
    cloud = await startTestCloud();
    publicImage = await uploadImage(cloud, 'pub-image');
    privateImage = await uploadImage(cloud, 'priv-image', 'admin', 'private');
    const patch = await cloud.request('PATCH', `/image/v2/images/${publicImage}`, {
      headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' },
      body: [{ op: 'add', path: '/flavour', value: 'vanilla' }, { op: 'add', path: '/instance_uuid', value: '11111111-2222-3333-4444-555555555555' }, { op: 'replace', path: '/min_ram', value: 64 }],
    });
    assert.equal(patch.status, 200, JSON.stringify(patch.json));
  });
  after(async () => cloud?.close());

  test('the list has id, name and links only; detail has the old Glance v1 shape', async () => {
    const list = await cloud.request('GET', '/compute/v2.1/images');
    assert.equal(list.status, 200);
    const brief = list.json.images.find((i: any) => i.id === publicImage);
    assert.deepEqual(Object.keys(brief).sort(), ['id', 'links', 'name']);
    assert.deepEqual(brief.links.map((l: any) => l.rel), ['self', 'bookmark', 'alternate']);
    assert.equal(brief.links[2].type, 'application/vnd.openstack.image');

    const detail = await cloud.request('GET', '/compute/v2.1/images/detail');
    assert.equal(detail.status, 200);
    const d = detail.json.images.find((i: any) => i.id === publicImage);
    assert.equal(d.status, 'ACTIVE');
    assert.equal(d.progress, 100);
    assert.equal(d.minRam, 64);
    assert.equal(d.minDisk, 0);
    assert.equal(d['OS-EXT-IMG-SIZE:size'], 4096);
    assert.deepEqual(d.metadata, { flavour: 'vanilla', instance_uuid: '11111111-2222-3333-4444-555555555555' });
    assert.equal(d.server.id, '11111111-2222-3333-4444-555555555555');
    assert.match(d.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(d.updated, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  test('show answers one image; an unknown one is 404 in Nova words', async () => {
    const show = await cloud.request('GET', `/compute/v2.1/images/${publicImage}`);
    assert.equal(show.status, 200);
    assert.equal(show.json.image.name, 'pub-image');
    const missing = await cloud.request('GET', '/compute/v2.1/images/00000000-0000-0000-0000-000000000000');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.itemNotFound.message, 'Image not found.');
    const notUuid = await cloud.request('GET', '/compute/v2.1/images/toString');
    assert.equal(notUuid.status, 404);
  });

  test('filters: name, status, server, property-*, minRam', async () => {
    const names = async (q: string) => (await cloud.request('GET', `/compute/v2.1/images?${q}`)).json.images.map((i: any) => i.name).sort();
    assert.deepEqual(await names('name=pub-image'), ['pub-image']);
    assert.deepEqual(await names('status=ACTIVE'), ['priv-image', 'pub-image']);
    assert.deepEqual(await names('status=SAVING'), []);
    assert.deepEqual(await names('server=http://x/servers/11111111-2222-3333-4444-555555555555'), ['pub-image']);
    assert.deepEqual(await names('property-flavour=vanilla'), ['pub-image']);
    assert.deepEqual(await names('minRam=64'), ['pub-image']);
  });

  test('limit pages with images_links; a bad limit is 400', async () => {
    const page = await cloud.request('GET', '/compute/v2.1/images?limit=1');
    assert.equal(page.status, 200);
    assert.equal(page.json.images.length, 1);
    assert.match(page.json.images_links[0].href, /marker=/);
    const next = await cloud.request('GET', `/compute/v2.1/images?limit=1&marker=${page.json.images[0].id}`);
    assert.equal(next.json.images.length, 1);
    assert.notEqual(next.json.images[0].id, page.json.images[0].id);
    const bad = await cloud.request('GET', '/compute/v2.1/images?limit=abc');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.badRequest.message, 'limit param must be an integer');
    const negative = await cloud.request('GET', '/compute/v2.1/images?limit=-1');
    assert.equal(negative.status, 400);
  });

  test('another project sees public images only', async () => {
    const list = await cloud.request('GET', '/compute/v2.1/images', { who: 'demo' });
    const ids = list.json.images.map((i: any) => i.id);
    assert.ok(ids.includes(publicImage));
    assert.ok(!ids.includes(privateImage));
    const show = await cloud.request('GET', `/compute/v2.1/images/${privateImage}`, { who: 'demo' });
    assert.equal(show.status, 404);
  });

  test('from 2.36 the image proxy is gone; 2.35 still has it', async () => {
    assert.equal((await cloud.request('GET', '/compute/v2.1/images', { headers: at('2.35') })).status, 200);
    for (const path of ['/images', '/images/detail', `/images/${publicImage}`]) {
      const res = await cloud.request('GET', `/compute/v2.1${path}`, { headers: at('2.36') });
      assert.equal(res.status, 404, path);
      assert.equal(res.json.itemNotFound.code, 404);
    }
    const del = await cloud.request('DELETE', `/compute/v2.1/images/${publicImage}`, { headers: at('2.36') });
    assert.equal(del.status, 404);
    assert.equal((await cloud.request('GET', `/compute/v2.1/images/${publicImage}`)).status, 200);
  });

  test('image metadata: list, set, replace, update one, show, delete', async () => {
    const base = `/compute/v2.1/images/${privateImage}/metadata`;
    assert.deepEqual((await cloud.request('GET', base)).json, { metadata: {} });
    const set = await cloud.request('POST', base, { body: { metadata: { a: '1', b: '2' } } });
    assert.equal(set.status, 200);
    assert.deepEqual(set.json, { metadata: { a: '1', b: '2' } });
    const merged = await cloud.request('POST', base, { body: { metadata: { c: '3' } } });
    assert.deepEqual(merged.json.metadata, { a: '1', b: '2', c: '3' });
    const replaced = await cloud.request('PUT', base, { body: { metadata: { only: 'this' } } });
    assert.equal(replaced.status, 200);
    assert.deepEqual((await cloud.request('GET', base)).json, { metadata: { only: 'this' } });
    const one = await cloud.request('PUT', `${base}/k`, { body: { meta: { k: 'v' } } });
    assert.equal(one.status, 200);
    assert.deepEqual(one.json, { meta: { k: 'v' } });
    assert.deepEqual((await cloud.request('GET', `${base}/k`)).json, { meta: { k: 'v' } });
    const del = await cloud.request('DELETE', `${base}/k`);
    assert.equal(del.status, 204);
    assert.equal((await cloud.request('GET', `${base}/k`)).status, 404);
    assert.equal((await cloud.request('DELETE', `${base}/k`)).status, 404);
    assert.equal((await cloud.request('GET', `${base}/toString`)).status, 404);
    const glance = await cloud.request('GET', `/image/v2/images/${privateImage}`);
    assert.equal(glance.json.only, 'this');
  });

  test('image metadata: 400 in Nova schema style, URI mismatch, too many items', async () => {
    const base = `/compute/v2.1/images/${privateImage}/metadata`;
    const notObject = await cloud.request('POST', base, { body: { metadata: 'x' } });
    assert.equal(notObject.status, 400);
    assert.match(notObject.json.badRequest.message, /^Invalid input for field\/attribute metadata/);
    const extra = await cloud.request('PUT', base, { body: { metadata: {}, other: 1 } });
    assert.equal(extra.status, 400);
    assert.match(extra.json.badRequest.message, /Additional properties are not allowed/);
    const two = await cloud.request('PUT', `${base}/a`, { body: { meta: { a: '1', b: '2' } } });
    assert.equal(two.status, 400);
    const mismatch = await cloud.request('PUT', `${base}/a`, { body: { meta: { b: '1' } } });
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.json.badRequest.message, 'Request body and URI mismatch');
    const many: Record<string, string> = {};
    for (let i = 0; i < 200; i++) many[`k${i}`] = 'v';
    const tooMany = await cloud.request('PUT', base, { body: { metadata: many } });
    assert.equal(tooMany.status, 403);
    assert.equal(tooMany.json.forbidden.message, 'Image metadata limit exceeded');
  });

  test('image metadata: 2.38 has it, 2.39 does not', async () => {
    const base = `/compute/v2.1/images/${publicImage}/metadata`;
    assert.equal((await cloud.request('GET', base, { headers: at('2.38') })).status, 200);
    const gone = await cloud.request('GET', base, { headers: at('2.39') });
    assert.equal(gone.status, 404);
    assert.equal((await cloud.request('POST', base, { headers: at('2.39'), body: { metadata: { a: 'b' } } })).status, 404);
  });

  test("another project may read a public image's metadata but not change it, nor see a private one's", async () => {
    const pub = `/compute/v2.1/images/${publicImage}/metadata`;
    assert.equal((await cloud.request('GET', pub, { who: 'demo' })).status, 200);
    const write = await cloud.request('POST', pub, { who: 'demo', body: { metadata: { x: 'y' } } });
    assert.equal(write.status, 403);
    const hidden = await cloud.request('GET', `/compute/v2.1/images/${privateImage}/metadata`, { who: 'demo' });
    assert.equal(hidden.status, 404);
  });

  test('delete: another project is refused, the owner deletes (204), then it is gone', async () => {
    const denied = await cloud.request('DELETE', `/compute/v2.1/images/${publicImage}`, { who: 'demo' });
    assert.equal(denied.status, 403);
    assert.equal(denied.json.forbidden.message, 'You are not allowed to delete the image.');
    const del = await cloud.request('DELETE', `/compute/v2.1/images/${publicImage}`);
    assert.equal(del.status, 204);
    assert.equal((await cloud.request('GET', `/compute/v2.1/images/${publicImage}`)).status, 404);
    assert.equal((await cloud.request('DELETE', `/compute/v2.1/images/${publicImage}`)).status, 404);
  });
});
