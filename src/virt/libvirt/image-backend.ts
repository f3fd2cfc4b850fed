/**
 * Images on the compute host (Nova's imagebackend Qcow2 + the image cache):
 * each image is fetched once into `<instances>/_base/<image id>`, checked, and
 * shared; every instance disk is a qcow2 overlay over it. Kernel and ramdisk
 * images of UEC-style images go through the same cache.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { KeyedLock } from '../../compute/keyed-lock.js';
import { verifyImageFile } from '../../image/format-inspector.js';
import { createOverlay, qemuImgInfo, QemuImgError, type QemuDiskFormat } from './qemu-img.js';

/** Where image bytes come from: the image service (in-process, or over HTTP later). */
export interface ImageDataSource {
  openImageData(imageId: string): Promise<{ stream: Readable; size: number; diskFormat: string | null }>;
}

/** The image cannot be used for this instance; `message` is safe to show as a fault. */
export class ImageUnacceptable extends Error {
  constructor(readonly imageId: string, reason: string) {
    super(`Image ${imageId} is unacceptable: ${reason}`);
    this.name = 'ImageUnacceptable';
  }
}

/** Nova's FlavorDiskSmallerThanImage. */
export class FlavorDiskSmallerThanImage extends Error {
  constructor(flavorBytes: number, imageBytes: number) {
    super(`Flavor's disk is too small for requested image. Flavor disk is ${flavorBytes} bytes, image is ${imageBytes} bytes.`);
    this.name = 'FlavorDiskSmallerThanImage';
  }
}

export interface CachedImage {
  path: string;
  /** how qemu must open it */
  format: QemuDiskFormat;
  virtualSize: number;
}

const IMAGE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/;
const GiB = 1024 ** 3;

/** Disk formats a root disk can boot from here, and how qemu opens them. */
const DISK_FORMATS: Record<string, QemuDiskFormat> = { qcow2: 'qcow2', raw: 'raw', ami: 'raw' };

export class ImageCache {
  private readonly locks = new KeyedLock();
  readonly baseDir: string;

  constructor(private readonly opts: { instancesPath: string; images: ImageDataSource; logger: Logger }) {
    this.baseDir = path.join(opts.instancesPath, '_base');
  }

  /**
   * The image's bytes on this host, fetched once. `role` decides what is
   * acceptable: a root disk must be qcow2 or raw (and pass the safety checks);
   * a kernel or ramdisk is read by QEMU as a plain file.
   */
  async fetch(imageId: string, role: 'disk' | 'kernel' | 'ramdisk'): Promise<CachedImage> {
    if (!IMAGE_ID.test(imageId)) throw new ImageUnacceptable(imageId, 'the image id is not valid');
    return this.locks.run(imageId, async () => {
      const file = path.join(this.baseDir, imageId);
      const infoFile = `${file}.info.json`;
      const cached = await readCacheInfo(infoFile);
      if (cached && fs.existsSync(file)) return { ...cached, path: file };
      await fs.promises.mkdir(this.baseDir, { recursive: true });
      const partial = `${file}.part-${process.pid}`;
      try {
        let data;
        try {
          data = await this.opts.images.openImageData(imageId);
        } catch (err) {
          // The image service's own words (not found, not active) are safe to show.
          throw new ImageUnacceptable(imageId, `the image service could not provide it (${(err as Error).message.replace(/\s+/g, ' ').slice(0, 200)})`);
        }
        await pipeline(data.stream, fs.createWriteStream(partial, { mode: 0o644 }));
        const checked = await this.check(imageId, partial, data.diskFormat, role);
        await fs.promises.rename(partial, file);
        await fs.promises.writeFile(infoFile, JSON.stringify({ format: checked.format, virtualSize: checked.virtualSize }));
        this.opts.logger.info({ image_id: imageId, bytes: data.size }, 'image fetched into the cache');
        return { ...checked, path: file };
      } catch (err) {
        await fs.promises.rm(partial, { force: true });
        throw err;
      }
    });
  }

  /** The spawn-time half of image safety: the same content checks as upload, then qemu-img's own view. */
  private async check(imageId: string, file: string, declared: string | null, role: 'disk' | 'kernel' | 'ramdisk'): Promise<Omit<CachedImage, 'path'>> {
    const declaredFormat = declared ?? 'raw';
    let inspected;
    try {
      inspected = await verifyImageFile(file, declaredFormat);
    } catch (err) {
      throw new ImageUnacceptable(imageId, (err as Error).message);
    }
    if (role !== 'disk') {
      const st = await fs.promises.stat(file);
      return { format: 'raw', virtualSize: st.size };
    }
    const format = DISK_FORMATS[declaredFormat];
    if (!format) throw new ImageUnacceptable(imageId, `disk format ${declaredFormat} cannot be used as a root disk (use qcow2 or raw)`);
    let info;
    try {
      info = await qemuImgInfo(file, format);
    } catch (err) {
      const detail = err instanceof QemuImgError ? 'qemu-img cannot read it as ' + format : 'it cannot be inspected';
      throw new ImageUnacceptable(imageId, `the image data is corrupt: ${detail}`);
    }
    if (info.backingFilename) throw new ImageUnacceptable(imageId, 'it names a backing file');
    if (info.dataFile) throw new ImageUnacceptable(imageId, 'it names an external data file');
    if (inspected.virtualSize !== null && format === 'qcow2' && inspected.virtualSize !== info.virtualSize) {
      throw new ImageUnacceptable(imageId, 'its header and qemu-img disagree on its size');
    }
    return { format, virtualSize: info.virtualSize };
  }

  /** The instance's root disk: an overlay over the cached image, grown to the flavor's root disk. */
  async createRootDisk(image: CachedImage, target: string, rootGb: number): Promise<void> {
    const flavorBytes = rootGb * GiB;
    if (rootGb > 0 && image.virtualSize > flavorBytes) throw new FlavorDiskSmallerThanImage(flavorBytes, image.virtualSize);
    await createOverlay(image.path, image.format, target, rootGb > 0 ? flavorBytes : image.virtualSize);
  }
}

async function readCacheInfo(file: string): Promise<Omit<CachedImage, 'path'> | undefined> {
  try {
    const j = JSON.parse(await fs.promises.readFile(file, 'utf8')) as { format?: string; virtualSize?: number };
    if ((j.format === 'raw' || j.format === 'qcow2') && typeof j.virtualSize === 'number') return { format: j.format, virtualSize: j.virtualSize };
  } catch {
    // no record: fetch again
  }
  return undefined;
}
