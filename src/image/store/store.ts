/**
 * The image store port: where image bytes live. Glance calls these "stores"
 * (file, swift, rbd, ...); each implementation sits in its own folder with the
 * same file names (file/store.ts, ...), and one contract suite
 * (test/image/store-contract.test.ts) runs against all of them.
 *
 * A store only ever holds complete data: put() either stores every byte and
 * answers with the digests, or fails and leaves nothing behind.
 */
import type { Readable } from 'node:stream';

/** What put() learned while streaming the data through. */
export interface StoredImageData {
  /** Bytes stored. */
  size: number;
  /** Hex MD5 of the data: Glance's legacy `checksum`, kept because clients still verify it. */
  checksum: string;
  /** Glance's multihash algorithm; always sha512, as Glance's default. */
  os_hash_algo: 'sha512';
  /** Hex SHA-512 of the data. */
  os_hash_value: string;
}

export interface ImageDataStream {
  stream: Readable;
  size: number;
}

export interface ImageStore {
  /**
   * Stream `data` into the store under `imageId`, replacing anything there.
   * The digests are computed on the way through (never by reading back). When
   * `data` errors or is destroyed before its end, the promise rejects with that
   * error and nothing is stored under `imageId`.
   */
  put(imageId: string, data: Readable): Promise<StoredImageData>;
  /** Open the data for reading. Throws ImageDataNotFound when there is none. */
  get(imageId: string): Promise<ImageDataStream>;
  /** Remove the data; true when there was some. Deleting twice is not an error. */
  delete(imageId: string): Promise<boolean>;
  exists(imageId: string): Promise<boolean>;
}

export class ImageDataNotFound extends Error {
  constructor(readonly imageId: string) {
    super(`no data stored for image ${imageId}`);
    this.name = 'ImageDataNotFound';
  }
}

export class InvalidImageKey extends Error {
  constructor(readonly imageId: string) {
    super('image id is not usable as a store key');
    this.name = 'InvalidImageKey';
  }
}

// Keys end up as file names (and object names in other stores), so they are
// kept to characters that are safe everywhere; image ids are UUIDs anyway.
const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$/;

export function assertStoreKey(imageId: string): void {
  if (typeof imageId !== 'string' || !SAFE_KEY.test(imageId)) throw new InvalidImageKey(String(imageId));
}
