/**
 * An image's life through the HTTP API: create, upload a few MB, show, download,
 * patch, tags, list with filters and pagination, deactivate, delete.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { authHeaders, TEST_AUTH } from '../helpers/auth.js';
import { startImageApp, type ImageTestApp } from './image-test-app.js';

const PATCH = { 'content-type': 'application/openstack-images-v2.1-json-patch' };
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

describe('image lifecycle over HTTP', () => {
  let t: ImageTestApp;
  before(async () => { t = await startImageApp(); });
  after(async () => { await t.close(); });

  async function create(body: Record<string, unknown>, who: keyof typeof TEST_AUTH = 'admin') {
    const res = await t.app.inject({ method: 'POST', url: '/image/v2/images', headers: authHeaders(who), payload: body });
    assert.equal(res.statusCode, 201, res.body);
    return res.json();
  }

  test('create, upload, show, download, patch, delete', async () => {
    const created = await create({
      name: 'cirros', disk_format: 'raw', container_format: 'bare', min_ram: 64, tags: ['test', 'test'],
      hw_disk_bus: 'virtio', 'owner_specified.openstack.md5': '',
    });
    const id = created.id as string;
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.deepEqual({ ...created, id: 'ID', created_at: 'T', updated_at: 'T' }, {
      id: 'ID', name: 'cirros', status: 'queued', visibility: 'shared', protected: false, os_hidden: false,
      owner: TEST_AUTH.admin.projectId, checksum: null, os_hash_algo: null, os_hash_value: null, size: null,
      virtual_size: null, min_disk: 0, min_ram: 64, disk_format: 'raw', container_format: 'bare', tags: ['test'],
      created_at: 'T', updated_at: 'T', self: `/v2/images/${id}`, file: `/v2/images/${id}/file`,
      schema: '/v2/schemas/image', hw_disk_bus: 'virtio', 'owner_specified.openstack.md5': '',
    });
    assert.match(created.created_at, TIME);

    // No data yet: 204.
    const empty = await t.app.inject({ method: 'GET', url: `/image/v2/images/${id}/file`, headers: authHeaders('admin') });
    assert.equal(empty.statusCode, 204);

    const data = randomBytes(4 * 1024 * 1024 + 123);
    const put = await t.app.inject({
      method: 'PUT', url: `/image/v2/images/${id}/file`, payload: data,
      headers: { ...authHeaders('admin'), 'content-type': 'application/octet-stream' },
    });
    assert.equal(put.statusCode, 204, put.body);

    const shown = (await t.app.inject({ method: 'GET', url: `/image/v2/images/${id}`, headers: authHeaders('admin') })).json();
    assert.equal(shown.status, 'active');
    assert.equal(shown.size, data.length);
    // Raw data: the upload inspection records its size as the virtual size.
    assert.equal(shown.virtual_size, data.length);
    assert.equal(shown.checksum, createHash('md5').update(data).digest('hex'));
    assert.equal(shown.os_hash_algo, 'sha512');
    assert.equal(shown.os_hash_value, createHash('sha512').update(data).digest('hex'));

    const download = await t.app.inject({ method: 'GET', url: `/image/v2/images/${id}/file`, headers: authHeaders('admin') });
    assert.equal(download.statusCode, 200);
    assert.equal(download.headers['content-type'], 'application/octet-stream');
    assert.equal(download.headers['content-md5'], shown.checksum);
    assert.equal(Number(download.headers['content-length']), data.length);
    assert.ok(download.rawPayload.equals(data));

    const patched = await t.app.inject({
      method: 'PATCH', url: `/image/v2/images/${id}`, headers: { ...authHeaders('admin'), ...PATCH },
      payload: JSON.stringify([
        { op: 'replace', path: '/name', value: 'cirros-2' },
        { op: 'add', path: '/os_distro', value: 'cirros' },
        { op: 'remove', path: '/hw_disk_bus' },
        { op: 'replace', path: '/min_disk', value: 1 },
        { op: 'replace', path: '/tags', value: ['a', 'b'] },
      ]),
    });
    assert.equal(patched.statusCode, 200, patched.body);
    const p = patched.json();
    assert.equal(p.name, 'cirros-2');
    assert.equal(p.os_distro, 'cirros');
    assert.equal('hw_disk_bus' in p, false);
    assert.equal(p.min_disk, 1);
    assert.deepEqual(p.tags, ['a', 'b']);
    assert.equal(p.checksum, shown.checksum);

    // The in-process API the compute service uses sees the same image and data.
    const record = await t.images.getImage(id, TEST_AUTH.admin);
    assert.equal(record.name, 'cirros-2');
    const opened = await t.images.openImageData(id);
    const chunks: Buffer[] = [];
    for await (const c of opened.stream) chunks.push(c as Buffer);
    assert.ok(Buffer.concat(chunks).equals(data));

    const del = await t.app.inject({ method: 'DELETE', url: `/image/v2/images/${id}`, headers: authHeaders('admin') });
    assert.equal(del.statusCode, 204);
    const gone = await t.app.inject({ method: 'GET', url: `/image/v2/images/${id}`, headers: authHeaders('admin') });
    assert.equal(gone.statusCode, 404);
    assert.equal(gone.json().code, '404 Not Found');
    assert.equal(await t.store.exists(id), false);
    // Only the data files of live images remain in the store directory: no temporaries.
    assert.deepEqual(fs.readdirSync(t.storeDir), []);
  });

  test('tags can be added (PUT as Glance, or POST) and removed', async () => {
    const { id } = await create({ name: 'tagged' });
    for (const method of ['PUT', 'POST'] as const) {
      const res = await t.app.inject({ method, url: `/image/v2/images/${id}/tags/${method.toLowerCase()}`, headers: authHeaders('admin') });
      assert.equal(res.statusCode, 204);
    }
    const del = await t.app.inject({ method: 'DELETE', url: `/image/v2/images/${id}/tags/put`, headers: authHeaders('admin') });
    assert.equal(del.statusCode, 204);
    const again = await t.app.inject({ method: 'DELETE', url: `/image/v2/images/${id}/tags/put`, headers: authHeaders('admin') });
    assert.equal(again.statusCode, 404);
    const shown = (await t.app.inject({ method: 'GET', url: `/image/v2/images/${id}`, headers: authHeaders('admin') })).json();
    assert.deepEqual(shown.tags, ['post']);
  });

  test('list: filters, sorting, limit and marker with next links', async () => {
    const mark = `list-${Date.now()}`;
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const img = await create({ name: `${mark}-${i}`, disk_format: i % 2 ? 'raw' : 'qcow2', container_format: 'bare', mark, tags: i === 3 ? ['special'] : [] }, 'demo');
      made.push(img.id);
    }
    const list = async (qs: string, who: keyof typeof TEST_AUTH = 'demo') => {
      const res = await t.app.inject({ method: 'GET', url: `/image/v2/images?${qs}`, headers: authHeaders(who) });
      assert.equal(res.statusCode, 200, res.body);
      return res.json();
    };
    const byRaw = await list(`mark=${mark}&disk_format=raw`);
    assert.deepEqual(byRaw.images.map((i: any) => i.name).sort(), [`${mark}-1`, `${mark}-3`]);
    assert.deepEqual((await list(`mark=${mark}&tag=special`)).images.map((i: any) => i.id), [made[3]]);
    assert.deepEqual((await list(`name=${mark}-2`)).images.map((i: any) => i.id), [made[2]]);
    assert.deepEqual((await list(`id=in:${made[0]},${made[4]}&sort_key=name&sort_dir=asc`)).images.map((i: any) => i.id), [made[0], made[4]]);
    assert.equal((await list(`mark=${mark}&status=active`)).images.length, 0);
    assert.equal((await list(`mark=${mark}&owner=${TEST_AUTH.demo.projectId}`)).images.length, 5);

    // Pages of two, newest first by default, followed through the next links.
    const seen: string[] = [];
    let url = `mark=${mark}&limit=2`;
    const firstPage = await list(url);
    assert.equal(firstPage.first, `/v2/images?mark=${mark}&limit=2`);
    assert.equal(firstPage.schema, '/v2/schemas/images');
    for (let page = firstPage; ;) {
      seen.push(...page.images.map((i: any) => i.id));
      if (!page.next) break;
      assert.match(page.next, /^\/v2\/images\?/);
      url = page.next.slice('/v2/images?'.length);
      page = await list(url);
    }
    // Every image exactly once; created in the same millisecond they tie-break on id.
    assert.equal(seen.length, made.length);
    assert.deepEqual(new Set(seen), new Set(made));

    const asc = await list(`mark=${mark}&sort=name:asc`);
    assert.deepEqual(asc.images.map((i: any) => i.id), made);
  });

  test('deactivate hides the data from other projects, reactivate restores it', async () => {
    const { id } = await create({ name: 'deact', disk_format: 'raw', container_format: 'bare', visibility: 'public' });
    await t.app.inject({ method: 'PUT', url: `/image/v2/images/${id}/file`, payload: Buffer.from('hello'), headers: { ...authHeaders('admin'), 'content-type': 'application/octet-stream' } });
    const deact = await t.app.inject({ method: 'POST', url: `/image/v2/images/${id}/actions/deactivate`, headers: authHeaders('admin') });
    assert.equal(deact.statusCode, 204);
    const shown = (await t.app.inject({ method: 'GET', url: `/image/v2/images/${id}`, headers: authHeaders('demo') })).json();
    assert.equal(shown.status, 'deactivated');
    const demoDownload = await t.app.inject({ method: 'GET', url: `/image/v2/images/${id}/file`, headers: authHeaders('demo') });
    assert.equal(demoDownload.statusCode, 403);
    const react = await t.app.inject({ method: 'POST', url: `/image/v2/images/${id}/actions/reactivate`, headers: authHeaders('admin') });
    assert.equal(react.statusCode, 204);
    const ok = await t.app.inject({ method: 'GET', url: `/image/v2/images/${id}/file`, headers: authHeaders('demo') });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.body, 'hello');
  });

  test('schemas are served for clients that read them', async () => {
    const image = await t.app.inject({ method: 'GET', url: '/image/v2/schemas/image', headers: authHeaders('demo') });
    assert.equal(image.statusCode, 200);
    const s = image.json();
    assert.equal(s.name, 'image');
    assert.deepEqual(s.additionalProperties, { type: 'string' });
    assert.ok(s.properties.disk_format.enum.includes('qcow2'));
    const images = (await t.app.inject({ method: 'GET', url: '/image/v2/schemas/images', headers: authHeaders('demo') })).json();
    assert.equal(images.name, 'images');
    assert.equal(images.properties.images.items.name, 'image');
  });
});
