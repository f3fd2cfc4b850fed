/**
 * Digests computed while data streams through, shared by every store so that
 * each reports size and hashes the same way.
 */
import { createHash } from 'node:crypto';
import type { StoredImageData } from './store.js';

export interface StreamDigest {
  /** Pass-through stage for stream.pipeline: hashes and counts each chunk. */
  stage(source: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer>;
  result(): StoredImageData;
}

export function streamDigest(): StreamDigest {
  const md5 = createHash('md5');
  const sha512 = createHash('sha512');
  let size = 0;
  return {
    async *stage(source) {
      for await (const piece of source) {
        const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
        md5.update(chunk);
        sha512.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    },
    result() {
      return { size, checksum: md5.digest('hex'), os_hash_algo: 'sha512', os_hash_value: sha512.digest('hex') };
    },
  };
}
