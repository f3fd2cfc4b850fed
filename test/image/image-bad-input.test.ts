/**
 * Bad requests to the image API get the right 4xx with the image error body
 * (never a 500), and a failed or refused upload leaves the image queued with
 * no data, ready for a retry.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { authHeaders, TEST_AUTH } from '../helpers/auth.js';
import { startImageApp, type ImageTestApp } from './image-test-app.js';

const JSON_CT = { 'content-type': 'application/json' };
const PATCH = { 'content-type': 'application/openstack-images-v2.1-json-patch' };
const OCTETS = { 'content-type': 'application/octet-stream' };

describe('image API bad input', () => {
  let t: ImageTestApp;
  let id: string;
  before(async () => {
    t = await startImageApp({ imageSizeCap: 64 * 1024 });
    id = (await t.app.inject({ method: 'POST', url: '/image/v2/images', headers: authHeaders('demo'), payload: { name: 'target', disk_format: 'raw', container_format: 'bare' } })).json().id;
  });
  after(async () => { await t.close(); });

  async function expectFault(res: { statusCode: number; json(): any; body: string }, status: number, message?: RegExp) {
    assert.equal(res.statusCode, status, res.body);
    const body = res.json();
    assert.match(body.code, new RegExp(`^${status} `));
    assert.equal(typeof body.title, 'string');
    if (message) assert.match(body.message, message);
  }

  const post = (payload: string, headers: Record<string, string> = JSON_CT) =>
    t.app.inject({ method: 'POST', url: '/image/v2/images', headers: { ...authHeaders('demo'), ...headers }, payload });
  const patch = (payload: string, headers: Record<string, string> = PATCH, target = id) =>
    t.app.inject({ method: 'PATCH', url: `/image/v2/images/${target}`, headers: { ...authHeaders('demo'), ...headers }, payload });

  test('create: malformed JSON, wrong body type, unknown formats, wrong types → 400', async () => {
    await expectFault(await post('{"name": '), 400);
    await expectFault(await post('[1,2]'), 400);
    await expectFault(await post('"text"'), 400);
    await expectFault(await post('{"disk_format":"floppy"}'), 400, /floppy/);
    await expectFault(await post('{"container_format":"zip"}'), 400);
    await expectFault(await post('{"min_ram":"64"}'), 400, /min_ram/);
    await expectFault(await post('{"min_disk":1.5}'), 400);
    await expectFault(await post('{"min_disk":-1}'), 400);
    await expectFault(await post('{"protected":"yes"}'), 400);
    await expectFault(await post('{"visibility":"everyone"}'), 400);
    await expectFault(await post('{"tags":"one"}'), 400);
    await expectFault(await post('{"tags":[1]}'), 400);
    await expectFault(await post('{"id":"not-a-uuid"}'), 400);
    await expectFault(await post('{"name":"x","hw_cpu_cores":4}'), 400, /hw_cpu_cores/);
    await expectFault(await post(JSON.stringify({ name: 'x'.repeat(256) })), 400);
    await expectFault(await post(JSON.stringify({ ['k'.repeat(256)]: 'v' })), 400);
  });

  test('create: read-only and reserved attributes → 403; unsupported media type → 415', async () => {
    for (const body of ['{"status":"active"}', '{"checksum":"x"}', '{"size":5}', '{"self":"x"}', '{"file":"x"}', '{"os_hash_value":"x"}', '{"deleted":"1"}', '{"os_glance_x":"1"}']) {
      await expectFault(await post(body), 403);
    }
    await expectFault(await post('name=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415);
  });

  test('create: an id already used (even by a deleted image) → 409', async () => {
    const fixed = randomUUID();
    assert.equal((await post(JSON.stringify({ id: fixed }))).statusCode, 201);
    await expectFault(await post(JSON.stringify({ id: fixed })), 409);
    assert.equal((await t.app.inject({ method: 'DELETE', url: `/image/v2/images/${fixed}`, headers: authHeaders('demo') })).statusCode, 204);
    await expectFault(await post(JSON.stringify({ id: fixed })), 409);
  });

  test('patch: bad operations, pointers and values → 400; read-only → 403; wrong media type → 415', async () => {
    await expectFault(await patch('[{"op":"move","path":"/name","value":"x"}]'), 400, /Invalid operation/);
    await expectFault(await patch('[{"path":"/name","value":"x"}]'), 400);
    await expectFault(await patch('[{"op":"replace","value":"x"}]'), 400);
    await expectFault(await patch('[{"op":"replace","path":"name","value":"x"}]'), 400);
    await expectFault(await patch('[{"op":"replace","path":"/a/b","value":"x"}]'), 400);
    await expectFault(await patch('[{"op":"replace","path":"/name"}]'), 400);
    await expectFault(await patch('{"op":"replace"}'), 400);
    await expectFault(await patch('[1]'), 400);
    await expectFault(await patch('[{"op":"replace","path":"/min_ram","value":"big"}]'), 400);
    await expectFault(await patch('[{"op":"add","path":"/custom","value":7}]'), 400);
    await expectFault(await patch('[not json'), 400);
    for (const attr of ['status', 'checksum', 'id', 'size', 'created_at', 'os_hash_value']) {
      await expectFault(await patch(JSON.stringify([{ op: 'replace', path: `/${attr}`, value: 'x' }])), 403, /read-only/);
    }
    await expectFault(await patch('[{"op":"remove","path":"/name"}]'), 403);
    await expectFault(await patch('[{"op":"replace","path":"/nope","value":"x"}]'), 409);
    await expectFault(await patch('[{"op":"remove","path":"/nope"}]'), 409);
    await expectFault(await patch('[{"op":"replace","path":"/name","value":"x"}]', JSON_CT), 415);
    // None of the refused patches changed anything.
    const shown = (await t.app.inject({ method: 'GET', url: `/image/v2/images/${id}`, headers: authHeaders('demo') })).json();
    assert.equal(shown.name, 'target');
  });

  test('unknown image id → 404 on every route', async () => {
    const unknown = randomUUID();
    const h = authHeaders('demo');
    await expectFault(await t.app.inject({ method: 'GET', url: `/image/v2/images/${unknown}`, headers: h }), 404);
    await expectFault(await t.app.inject({ method: 'GET', url: '/image/v2/images/not-even-a-uuid', headers: h }), 404);
    await expectFault(await patch('[{"op":"replace","path":"/name","value":"x"}]', PATCH, unknown), 404);
    await expectFault(await t.app.inject({ method: 'DELETE', url: `/image/v2/images/${unknown}`, headers: h }), 404);
    await expectFault(await t.app.inject({ method: 'PUT', url: `/image/v2/images/${unknown}/file`, headers: { ...h, ...OCTETS }, payload: 'x' }), 404);
    await expectFault(await t.app.inject({ method: 'GET', url: `/image/v2/images/${unknown}/file`, headers: h }), 404);
    await expectFault(await t.app.inject({ method: 'PUT', url: `/image/v2/images/${unknown}/tags/x`, headers: h }), 404);
    await expectFault(await t.app.inject({ method: 'POST', url: `/image/v2/images/${unknown}/actions/deactivate`, headers: h }), 404);
    await expectFault(await t.app.inject({ method: 'GET', url: '/image/v2/nothing-here', headers: h }), 404);
  });

  test('list: bad limit, sort, visibility, marker and filters → 400', async () => {
    const h = authHeaders('demo');
    for (const qs of ['limit=abc', 'limit=-1', 'sort_key=color', 'sort_dir=up', 'visibility=everyone', `marker=${randomUUID()}`,
      'member_status=maybe', 'protected=perhaps', 'size_min=big', 'created_at=gte:yesterday', 'changes-since=2020-01-01',
      'sort=name:asc&sort_key=name', 'os_hidden=maybe', 'name=gt:x']) {
      await expectFault(await t.app.inject({ method: 'GET', url: `/image/v2/images?${qs}`, headers: h }), 400);
    }
  });

  test('upload: twice → 409; without disk_format → 400; wrong media type → 415; over the size cap → 413', async () => {
    const h = { ...authHeaders('demo'), ...OCTETS };
    const ok = await t.app.inject({ method: 'PUT', url: `/image/v2/images/${id}/file`, headers: h, payload: randomBytes(1000) });
    assert.equal(ok.statusCode, 204);
    await expectFault(await t.app.inject({ method: 'PUT', url: `/image/v2/images/${id}/file`, headers: h, payload: randomBytes(10) }), 409);

    const bare = (await post('{"name":"no-format"}')).json().id;
    await expectFault(await t.app.inject({ method: 'PUT', url: `/image/v2/images/${bare}/file`, headers: h, payload: 'x' }), 400, /disk_format/);
    await expectFault(await t.app.inject({ method: 'PUT', url: `/image/v2/images/${bare}/file`, headers: { ...authHeaders('demo'), 'content-type': 'text/plain' }, payload: 'x' }), 415);

    const big = (await post('{"name":"big","disk_format":"raw","container_format":"bare"}')).json().id;
    await expectFault(await t.app.inject({ method: 'PUT', url: `/image/v2/images/${big}/file`, headers: h, payload: randomBytes(65 * 1024) }), 413);
    const after = (await t.app.inject({ method: 'GET', url: `/image/v2/images/${big}`, headers: authHeaders('demo') })).json();
    assert.equal(after.status, 'queued');
    assert.equal(after.size, null);
    assert.equal(await t.store.exists(big), false);
  });

  test('changing disk_format of an image that has data → 403', async () => {
    const res = await patch('[{"op":"replace","path":"/disk_format","value":"qcow2"}]');
    await expectFault(res, 403);
  });

  test('an upload that breaks off leaves the image queued with no data, and a retry succeeds', async () => {
    const img = (await post('{"name":"retry","disk_format":"raw","container_format":"bare"}')).json().id;
    const broken = Readable.from((async function* () {
      yield randomBytes(20_000);
      throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    })());
    await assert.rejects(t.images.uploadImageData(img, broken, TEST_AUTH.demo), { status: 400 });
    const shown = await t.images.getImage(img, TEST_AUTH.demo);
    assert.equal(shown.status, 'queued');
    assert.equal(await t.store.exists(img), false);
    assert.ok(fs.readdirSync(t.storeDir).every((f) => !f.startsWith('.')), 'no temporary file left behind');
    await t.images.uploadImageData(img, Readable.from([Buffer.from('fine')]), TEST_AUTH.demo);
    assert.equal((await t.images.getImage(img, TEST_AUTH.demo)).size, 4);
  });

  test('a zero-byte upload makes an active image of size 0', async () => {
    const img = (await post('{"name":"zero","disk_format":"raw","container_format":"bare"}')).json().id;
    const res = await t.app.inject({ method: 'PUT', url: `/image/v2/images/${img}/file`, headers: { ...authHeaders('demo'), ...OCTETS } });
    assert.equal(res.statusCode, 204, res.body);
    const shown = await t.images.getImage(img, TEST_AUTH.demo);
    assert.equal(shown.status, 'active');
    assert.equal(shown.size, 0);
    assert.equal(shown.checksum, 'd41d8cd98f00b204e9800998ecf8427e');
  });

  test('an image deleted while its data is arriving: the upload answers 410 and the data is removed', async () => {
    const img = (await post('{"name":"racing","disk_format":"raw","container_format":"bare"}')).json().id;
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const slow = Readable.from((async function* () {
      yield randomBytes(10_000);
      await gate;
      yield randomBytes(10_000);
    })());
    const upload = t.images.uploadImageData(img, slow, TEST_AUTH.demo);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await t.images.getImage(img, TEST_AUTH.demo)).status, 'saving');
    await t.images.deleteImage(img, TEST_AUTH.demo);
    release();
    await assert.rejects(upload, { status: 410 });
    assert.equal(await t.store.exists(img), false);
  });

  test('openImageData refuses an image without data', async () => {
    const img = (await post('{"name":"empty"}')).json().id;
    await assert.rejects(t.images.openImageData(img), { status: 409 });
    await assert.rejects(t.images.openImageData(randomUUID()), { status: 404 });
  });
});
