/**
 * What the compute side decides before a driver sees the server: whether it
 * gets a config drive (asked for, forced by [DEFAULT] force_config_drive, or
 * demanded by the image's img_config_drive=mandatory — Nova's
 * configdrive.required_by), and whether the image fits the flavor's root disk
 * by its virtual size (Nova's FlavorDiskSmallerThanImage, a 400 at the API).
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { bootActive, createServer, uploadImage, V237 } from './fixtures.js';
import { qemuImgAvailable, qemuImgCreate, tempDir } from '../image/crafted-images.js';

async function uploadFile(cloud: TestCloud, name: string, file: string, diskFormat: string, props: Record<string, string> = {}): Promise<string> {
  const created = await cloud.request('POST', '/image/v2/images', { body: { name, disk_format: diskFormat, container_format: 'bare', visibility: 'public', ...props } });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const up = await fetch(`${cloud.url}/image/v2/images/${created.json.id}/file`, {
    method: 'PUT', headers: { 'x-auth-token': await cloud.token('admin'), 'content-type': 'application/octet-stream' }, body: fs.readFileSync(file),
  });
  assert.equal(up.status, 204, await up.text());
  return created.json.id as string;
}

describe('config drive decision', () => {
  let forced: TestCloud;
  let plain: TestCloud;
  before(async () => {
    forced = await startTestCloud({ DEFAULT: { force_config_drive: true } });
    plain = await startTestCloud();
  });
  after(async () => {
    await forced?.close();
    await plain?.close();
  });

  test('[DEFAULT] force_config_drive gives every server a config drive', async () => {
    const image = await uploadImage(forced);
    const server = await bootActive(forced, { name: 'forced', imageRef: image, flavorRef: '1', networks: 'none' }, 'admin', V237);
    assert.equal(server.config_drive, 'True');
  });

  test('without it, a server has one only when asked or when the image demands it', async () => {
    const image = await uploadImage(plain);
    const none = await bootActive(plain, { name: 'none', imageRef: image, flavorRef: '1', networks: 'none' }, 'admin', V237);
    assert.equal(none.config_drive, '');
    const asked = await bootActive(plain, { name: 'asked', imageRef: image, flavorRef: '1', networks: 'none', config_drive: true }, 'admin', V237);
    assert.equal(asked.config_drive, 'True');
    const patched = await plain.request('PATCH', `/image/v2/images/${image}`, {
      headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' },
      body: [{ op: 'add', path: '/img_config_drive', value: 'mandatory' }],
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.json));
    const demanded = await bootActive(plain, { name: 'demanded', imageRef: image, flavorRef: '1', networks: 'none' }, 'admin', V237);
    assert.equal(demanded.config_drive, 'True');
  });
});

describe('image virtual size against the flavor root disk', { skip: !qemuImgAvailable && process.env.CI !== 'true' ? 'qemu-img is not installed' : false }, () => {
  let cloud: TestCloud;
  let dir: string;
  before(async () => {
    cloud = await startTestCloud();
    dir = tempDir();
  });
  after(async () => {
    await cloud?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a small qcow2 whose virtual size exceeds the root disk is refused with 400 and nothing is created', async () => {
    const file = await qemuImgCreate(dir, 'qcow2', 'sparse-2g.qcow2', '2G');
    assert.ok(fs.statSync(file).size < 1024 * 1024, 'the file itself is tiny');
    const image = await uploadFile(cloud, 'sparse-2g', file, 'qcow2');
    const shown = await cloud.request('GET', `/image/v2/images/${image}`);
    assert.equal(shown.json.virtual_size, 2 * 1024 ** 3);
    const before = (await cloud.request('GET', '/compute/v2.1/servers')).json.servers.length;
    const res = await createServer(cloud, { name: 'too-big', imageRef: image, flavorRef: '1', networks: 'none' }, { headers: V237 });
    assert.equal(res.status, 400);
    assert.match(res.json.badRequest.message, /Flavor's disk is too small for requested image\. Flavor disk is 1073741824 bytes, image is 2147483648 bytes\./);
    assert.equal((await cloud.request('GET', '/compute/v2.1/servers')).json.servers.length, before);
  });

  test('the same image boots on a flavor whose root disk holds it', async () => {
    const file = await qemuImgCreate(dir, 'qcow2', 'sparse-2g-b.qcow2', '2G');
    const image = await uploadFile(cloud, 'sparse-2g-b', file, 'qcow2');
    // m1.small: 20 GB root disk.
    const server = await bootActive(cloud, { name: 'fits', imageRef: image, flavorRef: '2', networks: 'none' }, 'admin', V237);
    assert.equal(server.status, 'ACTIVE');
  });
});
