/**
 * Glance's default policy through the HTTP API: admin sees and changes
 * everything; a project member manages its own images; public images are
 * readable by all; only admin publicizes; a reader only reads.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { authHeaders, TEST_AUTH } from '../helpers/auth.js';
import { startImageApp, type ImageTestApp } from './image-test-app.js';

const PATCH = { 'content-type': 'application/openstack-images-v2.1-json-patch' };

describe('image policy', () => {
  let t: ImageTestApp;
  let adminPrivate: string;
  let adminPublic: string;
  let demoImage: string;

  before(async () => {
    t = await startImageApp();
    const mk = async (who: 'admin' | 'demo', body: Record<string, unknown>) =>
      (await t.app.inject({ method: 'POST', url: '/image/v2/images', headers: authHeaders(who), payload: body })).json().id as string;
    adminPrivate = await mk('admin', { name: 'admin-private', visibility: 'private', disk_format: 'raw', container_format: 'bare' });
    adminPublic = await mk('admin', { name: 'admin-public', visibility: 'public', disk_format: 'raw', container_format: 'bare' });
    demoImage = await mk('demo', { name: 'demo-own', disk_format: 'raw', container_format: 'bare' });
  });
  after(async () => { await t.close(); });

  const call = (who: keyof typeof TEST_AUTH, method: string, url: string, extra: Record<string, unknown> = {}) =>
    t.app.inject({ method: method as 'GET', url: `/image${url}`, headers: { ...authHeaders(who), ...(extra.headers as object ?? {}) }, ...(extra.payload !== undefined ? { payload: extra.payload as string } : {}) });

  test("demo cannot see admin's private image: 404 on show, absent from the list", async () => {
    const res = await call('demo', 'GET', `/v2/images/${adminPrivate}`);
    assert.equal(res.statusCode, 404);
    assert.deepEqual(Object.keys(res.json()).sort(), ['code', 'message', 'title']);
    const list = (await call('demo', 'GET', '/v2/images?limit=1000')).json();
    const ids = list.images.map((i: any) => i.id);
    assert.ok(!ids.includes(adminPrivate));
    assert.ok(ids.includes(adminPublic));
    assert.ok(ids.includes(demoImage));
    await assert.rejects(t.images.getImage(adminPrivate, TEST_AUTH.demo), { status: 404 });
  });

  test("demo cannot delete, patch, upload to or tag admin's private image (404) or public image (403)", async () => {
    for (const [id, status] of [[adminPrivate, 404], [adminPublic, 403]] as const) {
      assert.equal((await call('demo', 'DELETE', `/v2/images/${id}`)).statusCode, status);
      assert.equal((await call('demo', 'PATCH', `/v2/images/${id}`, { headers: PATCH, payload: '[{"op":"replace","path":"/name","value":"x"}]' })).statusCode, status);
      assert.equal((await call('demo', 'PUT', `/v2/images/${id}/file`, { headers: { 'content-type': 'application/octet-stream' }, payload: 'x' })).statusCode, status);
      assert.equal((await call('demo', 'PUT', `/v2/images/${id}/tags/mine`)).statusCode, status);
    }
    assert.equal((await call('admin', 'GET', `/v2/images/${adminPrivate}`)).statusCode, 200);
    const denied = await call('demo', 'DELETE', `/v2/images/${adminPublic}`);
    assert.equal(denied.json().title, 'Forbidden');
  });

  test('admin sees and changes other projects\' images', async () => {
    assert.equal((await call('admin', 'GET', `/v2/images/${demoImage}`)).statusCode, 200);
    const res = await call('admin', 'PATCH', `/v2/images/${demoImage}`, { headers: PATCH, payload: '[{"op":"add","path":"/checked","value":"yes"}]' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().checked, 'yes');
    const list = (await call('admin', 'GET', '/v2/images?limit=1000')).json();
    assert.ok(list.images.some((i: any) => i.id === demoImage));
  });

  test('only admin may make an image public, on create or on update', async () => {
    const create = await call('demo', 'POST', '/v2/images', { headers: { 'content-type': 'application/json' }, payload: '{"name":"pub","visibility":"public"}' });
    assert.equal(create.statusCode, 403);
    const patch = await call('demo', 'PATCH', `/v2/images/${demoImage}`, { headers: PATCH, payload: '[{"op":"replace","path":"/visibility","value":"public"}]' });
    assert.equal(patch.statusCode, 403);
    const community = await call('demo', 'PATCH', `/v2/images/${demoImage}`, { headers: PATCH, payload: '[{"op":"replace","path":"/visibility","value":"community"}]' });
    assert.equal(community.statusCode, 200);
    assert.equal(community.json().visibility, 'community');
  });

  test('a member may not create an image owned by another project, nor change an owner', async () => {
    const res = await call('demo', 'POST', '/v2/images', { headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'x', owner: TEST_AUTH.other.projectId }) });
    assert.equal(res.statusCode, 403);
    const owner = await call('demo', 'PATCH', `/v2/images/${demoImage}`, { headers: PATCH, payload: JSON.stringify([{ op: 'replace', path: '/owner', value: 'someone' }]) });
    assert.equal(owner.statusCode, 403);
  });

  test('a reader lists and shows but cannot create or change', async () => {
    assert.equal((await call('reader', 'GET', `/v2/images/${demoImage}`)).statusCode, 200);
    assert.equal((await call('reader', 'GET', '/v2/images')).statusCode, 200);
    const create = await call('reader', 'POST', '/v2/images', { headers: { 'content-type': 'application/json' }, payload: '{"name":"r"}' });
    assert.equal(create.statusCode, 403);
    assert.equal((await call('reader', 'DELETE', `/v2/images/${demoImage}`)).statusCode, 403);
  });

  test('another project sees public images but not demo\'s shared one', async () => {
    assert.equal((await call('other', 'GET', `/v2/images/${adminPublic}`)).statusCode, 200);
    const res = await t.app.inject({ method: 'POST', url: '/image/v2/images', headers: authHeaders('demo'), payload: { name: 'shared-one' } });
    const id = res.json().id;
    assert.equal(res.json().visibility, 'shared');
    assert.equal((await call('other', 'GET', `/v2/images/${id}`)).statusCode, 404);
  });

  test('a protected image cannot be deleted until unprotected', async () => {
    const id = (await t.app.inject({ method: 'POST', url: '/image/v2/images', headers: authHeaders('demo'), payload: { name: 'p', protected: true } })).json().id;
    assert.equal((await call('demo', 'DELETE', `/v2/images/${id}`)).statusCode, 403);
    assert.equal((await call('demo', 'PATCH', `/v2/images/${id}`, { headers: PATCH, payload: '[{"op":"replace","path":"/protected","value":false}]' })).statusCode, 200);
    assert.equal((await call('demo', 'DELETE', `/v2/images/${id}`)).statusCode, 204);
  });

  test('no token: 401 with the image error body; the version document needs none', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/image/v2/images' });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().code, '401 Unauthorized');
    assert.equal((await t.app.inject({ method: 'GET', url: '/image/' })).statusCode, 300);
  });
});
