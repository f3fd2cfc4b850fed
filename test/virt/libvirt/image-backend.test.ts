/**
 * The libvirt image backend: the per-host image cache and the instance root
 * disk overlays, and the spawn-time half of image safety — crafted images
 * reach the cache through an image source and must be refused there, leaving
 * nothing in the cache.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { FlavorDiskSmallerThanImage, ImageCache, ImageUnacceptable, type ImageDataSource } from '../../../src/virt/libvirt/image-backend.js';
import { qemuImgInfo } from '../../../src/virt/libvirt/qemu-img.js';
import { MiB, noiseImage, qcow2Image, qemuImgAvailable, qemuImgCreate, tempDir, vmdkDescriptorFile } from '../../image/crafted-images.js';
import { testLogger } from '../../helpers/logger.js';

const skip = !qemuImgAvailable && process.env.CI !== 'true' ? 'qemu-img is not installed' : false;

/** Images by id, as the image service would hand them out; counts how often each is opened. */
class FileImageSource implements ImageDataSource {
  readonly opened = new Map<string, number>();
  private readonly images = new Map<string, { file: string; diskFormat: string }>();

  add(file: string, diskFormat: string): string {
    const id = randomUUID();
    this.images.set(id, { file, diskFormat });
    return id;
  }

  async openImageData(imageId: string) {
    const img = this.images.get(imageId);
    if (!img) throw new Error(`no image ${imageId}`);
    this.opened.set(imageId, (this.opened.get(imageId) ?? 0) + 1);
    return { stream: Readable.from(fs.createReadStream(img.file)), size: fs.statSync(img.file).size, diskFormat: img.diskFormat };
  }
}

describe('libvirt image backend', { skip }, () => {
  let dir: string;
  let source: FileImageSource;
  let cache: ImageCache;

  before(() => {
    dir = tempDir();
    source = new FileImageSource();
    cache = new ImageCache({ instancesPath: path.join(dir, 'instances'), images: source, logger: testLogger });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function cacheEntries(): string[] {
    return fs.existsSync(cache.baseDir) ? fs.readdirSync(cache.baseDir) : [];
  }

  async function refused(file: string, format: string, reason: RegExp): Promise<void> {
    const id = source.add(file, format);
    const before = cacheEntries();
    await assert.rejects(cache.fetch(id, 'disk'), (err: Error) => {
      assert.ok(err instanceof ImageUnacceptable, String(err));
      assert.match(err.message, reason);
      return true;
    });
    assert.deepEqual(cacheEntries(), before, 'a refused image leaves nothing in the cache');
  }

  test('a qcow2 image is fetched once and shared from the cache', async () => {
    const file = await qemuImgCreate(dir, 'qcow2', 'good.qcow2', '64M');
    const id = source.add(file, 'qcow2');
    const [a, b] = await Promise.all([cache.fetch(id, 'disk'), cache.fetch(id, 'disk')]);
    assert.equal(a.path, path.join(cache.baseDir, id));
    assert.deepEqual(a, b);
    assert.equal(a.format, 'qcow2');
    assert.equal(a.virtualSize, 64 * MiB);
    await cache.fetch(id, 'disk');
    assert.equal(source.opened.get(id), 1, 'fetched from the image service once');
  });

  test('the root disk is a qcow2 overlay over the cached image, grown to the flavor root disk', async () => {
    const file = await qemuImgCreate(dir, 'qcow2', 'base.qcow2', '64M');
    const image = await cache.fetch(source.add(file, 'qcow2'), 'disk');
    const target = path.join(dir, 'disk');
    await cache.createRootDisk(image, target, 1);
    const info = await qemuImgInfo(target, 'qcow2');
    assert.equal(info.backingFilename, image.path);
    assert.equal(info.virtualSize, 1024 ** 3);
  });

  test('a flavor root disk of 0 takes the image\'s own size', async () => {
    const file = await qemuImgCreate(dir, 'raw', 'zero.raw', '32M');
    const image = await cache.fetch(source.add(file, 'raw'), 'disk');
    const target = path.join(dir, 'disk-zero');
    await cache.createRootDisk(image, target, 0);
    assert.equal((await qemuImgInfo(target, 'qcow2')).virtualSize, 32 * MiB);
  });

  test('an image larger than the flavor root disk is refused (FlavorDiskSmallerThanImage)', async () => {
    const file = await qemuImgCreate(dir, 'qcow2', 'big.qcow2', '2G');
    const image = await cache.fetch(source.add(file, 'qcow2'), 'disk');
    const target = path.join(dir, 'disk-big');
    await assert.rejects(cache.createRootDisk(image, target, 1), FlavorDiskSmallerThanImage);
    assert.equal(fs.existsSync(target), false);
  });

  test('a qcow2 naming a backing file is refused', async () => {
    const base = await qemuImgCreate(dir, 'raw', 'backing.raw', '1M');
    const file = await qemuImgCreate(dir, 'qcow2', 'with-backing.qcow2', null, ['-b', base, '-F', 'raw']);
    await refused(file, 'qcow2', /backing file/i);
  });

  test('a qcow2 with an external data file is refused', async () => {
    const file = path.join(dir, 'data-file.qcow2');
    fs.writeFileSync(file, qcow2Image({ incompatibleFeatures: 4n }));
    await refused(file, 'qcow2', /data.file|unsafe|not allowed/i);
  });

  test('a qcow2 declared raw is refused: content must match disk_format', async () => {
    const file = await qemuImgCreate(dir, 'qcow2', 'hidden.qcow2', '1M');
    await refused(file, 'raw', /does not match|disk_format/i);
  });

  test('raw bytes declared qcow2 are refused', async () => {
    const file = path.join(dir, 'noise.bin');
    fs.writeFileSync(file, noiseImage(256 * 1024));
    await refused(file, 'qcow2', /does not match|disk_format/i);
  });

  test('a VMDK descriptor pointing at a host file is refused', async () => {
    const file = path.join(dir, 'desc.vmdk');
    fs.writeFileSync(file, vmdkDescriptorFile('/etc/shadow'));
    await refused(file, 'vmdk', /unacceptable/i);
  });

  test('a qcow2 whose header qemu cannot read is refused as corrupt', async () => {
    const file = path.join(dir, 'corrupt.qcow2');
    const b = qcow2Image();
    b.writeUInt32BE(40, 20); // cluster_bits far outside what qcow2 allows
    fs.writeFileSync(file, b);
    await refused(file, 'qcow2', /corrupt|unacceptable/i);
  });

  test('a kernel or ramdisk is cached as a plain file', async () => {
    const file = path.join(dir, 'vmlinuz');
    fs.writeFileSync(file, noiseImage(128 * 1024, 7));
    const kernel = await cache.fetch(source.add(file, 'aki'), 'kernel');
    assert.equal(kernel.format, 'raw');
    assert.deepEqual(fs.readFileSync(kernel.path), fs.readFileSync(file));
  });

  test('an image id that is not a plain id never becomes a path', async () => {
    await assert.rejects(cache.fetch('../../etc/passwd', 'disk'), ImageUnacceptable);
  });
});
