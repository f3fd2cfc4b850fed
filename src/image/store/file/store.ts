/**
 * Image data as files in one directory (Glance's `file` store), e.g.
 * <state_path>/images. Uploads go to a hidden temporary file that is renamed
 * into place only once complete and flushed, so a failed or aborted upload
 * never leaves a partial image behind, and a crash leaves at most a temp file.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { streamDigest } from '../digest.js';
import {
  ImageDataNotFound, assertStoreKey,
  type ImageDataStream, type ImageStore, type StoredImageData,
} from '../store.js';

/** Prefix of in-progress uploads; store keys cannot start with '.', so they never collide. */
export const TEMP_PREFIX = '.upload-';

export class FileImageStore implements ImageStore {
  private ready?: Promise<void>;

  constructor(readonly directory: string) {}

  private async ensureDirectory(): Promise<void> {
    this.ready ??= fs.promises.mkdir(this.directory, { recursive: true, mode: 0o750 }).then(() => undefined);
    try {
      await this.ready;
    } catch (err) {
      this.ready = undefined;
      throw err;
    }
  }

  private pathFor(imageId: string): string {
    assertStoreKey(imageId);
    return path.join(this.directory, imageId);
  }

  async put(imageId: string, data: Readable): Promise<StoredImageData> {
    const finalPath = this.pathFor(imageId);
    await this.ensureDirectory();
    const tempPath = path.join(this.directory, `${TEMP_PREFIX}${imageId}-${randomBytes(6).toString('hex')}`);
    const digest = streamDigest();
    // flush: the bytes reach the disk before the rename can make them visible.
    const out = fs.createWriteStream(tempPath, { flags: 'wx', mode: 0o640, flush: true });
    try {
      await pipeline(data, digest.stage, out);
      await fs.promises.rename(tempPath, finalPath);
    } catch (err) {
      if (!data.destroyed) data.destroy();
      // pipeline() rejects as soon as the data fails, even while the temp
      // file is still being opened; removing it before that open finishes
      // would leave the file behind.
      if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
      await fs.promises.rm(tempPath, { force: true }).catch(() => undefined);
      throw err;
    }
    return digest.result();
  }

  async get(imageId: string): Promise<ImageDataStream> {
    const file = this.pathFor(imageId);
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ImageDataNotFound(imageId);
      throw err;
    }
    try {
      const { size } = await handle.stat();
      // The open handle keeps the bytes readable even if the image is deleted meanwhile.
      return { stream: handle.createReadStream(), size };
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  async delete(imageId: string): Promise<boolean> {
    try {
      await fs.promises.unlink(this.pathFor(imageId));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async exists(imageId: string): Promise<boolean> {
    try {
      return (await fs.promises.stat(this.pathFor(imageId))).isFile();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }
}
