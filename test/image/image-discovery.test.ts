/**
 * The version document clients discover the image API from, and the real
 * Python clients (keystoneauth discovery, openstacksdk's image proxy) driving
 * the API over a socket when they are installed.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { startImageApp, type ImageTestApp } from './image-test-app.js';

const PYTHON = '/usr/bin/python3';
const haveClients = spawnSync(PYTHON, ['-c', 'import keystoneauth1, openstack'], { stdio: 'ignore' }).status === 0;

const CLIENT_SCRIPT = String.raw`
import sys, json, hashlib, os, tempfile
from keystoneauth1 import session, discover
import openstack
url = sys.argv[1]
out = {}
versions = discover.Discover(session.Session(), url).version_data()
out['versions'] = [[list(v['version']), v['url']] for v in versions]
conn = openstack.connect(auth_type='admin_token', auth={'endpoint': url + '/v2', 'token': 'admin-token'})
data = os.urandom(2 * 1024 * 1024 + 5)
with tempfile.NamedTemporaryFile(suffix='.raw', delete=False) as f:
    f.write(data)
img = conn.image.create_image('sdk-img', filename=f.name, disk_format='raw', container_format='bare', allow_duplicates=True)
os.unlink(f.name)
got = conn.image.get_image(img.id)
out['status'] = got.status
out['size_ok'] = got.size == len(data)
out['checksum_ok'] = got.checksum == hashlib.md5(data).hexdigest()
out['listed'] = any(i.id == img.id for i in conn.image.images())
out['download_ok'] = conn.image.download_image(got).content == data
conn.image.update_image(got, name='sdk-renamed', os_distro='debian')
after = conn.image.get_image(img.id)
out['renamed'] = after.name
out['found'] = conn.image.find_image('sdk-renamed').id == img.id
conn.image.add_tag(got, 'tagged')
out['tags'] = conn.image.get_image(img.id).tags
conn.image.delete_image(got)
out['deleted'] = conn.image.find_image(img.id) is None
print(json.dumps(out))
`;

describe('image API discovery', () => {
  let t: ImageTestApp;
  before(async () => { t = await startImageApp(); });
  after(async () => { await t.close(); });

  test('GET /image/ answers 300 with v2.x versions linking to this host /image/v2/', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/image/', headers: { host: 'cloud.example:9292' } });
    assert.equal(res.statusCode, 300);
    const { versions } = res.json();
    assert.ok(versions.length > 1);
    assert.equal(versions.filter((v: any) => v.status === 'CURRENT').length, 1);
    for (const v of versions) {
      assert.match(v.id, /^v2\.\d+$/);
      assert.deepEqual(v.links, [{ rel: 'self', href: 'http://cloud.example:9292/image/v2/' }]);
    }
    const explicit = await t.app.inject({ method: 'GET', url: '/image/versions', headers: { host: 'h' } });
    assert.equal(explicit.statusCode, 200);
    assert.deepEqual(explicit.json().versions.map((v: any) => v.id), versions.map((v: any) => v.id));
  });

  test('keystoneauth discovers v2 and openstacksdk creates, uploads, lists, downloads, updates and deletes',
    { skip: haveClients ? false : 'python3 keystoneauth1/openstacksdk are not installed', timeout: 60_000 }, async () => {
      await t.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = t.app.server.address() as AddressInfo;
      const stdout = await new Promise<string>((resolve, reject) => {
        execFile(PYTHON, ['-c', CLIENT_SCRIPT, `http://127.0.0.1:${port}/image`], { timeout: 55_000 }, (err, out, errOut) => {
          if (err) reject(new Error(`${err.message}\n${errOut.split('\n').slice(-15).join('\n')}`));
          else resolve(out);
        });
      });
      const out = JSON.parse(stdout.trim().split('\n').pop()!);
      assert.ok(out.versions.some(([v, url]: [number[], string]) => v[0] === 2 && url === `http://127.0.0.1:${port}/image/v2/`));
      assert.deepEqual(out, {
        versions: out.versions, status: 'active', size_ok: true, checksum_ok: true, listed: true, download_ok: true,
        renamed: 'sdk-renamed', found: true, tags: ['tagged'], deleted: true,
      });
    });
});
