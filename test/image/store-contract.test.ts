/**
 * The ImageStore contract, run against every implementation. A new store adds
 * one entry to IMPLEMENTATIONS; the tests themselves never change.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { FileImageStore } from '../../src/image/store/file/store.js';
import { ImageDataNotFound, InvalidImageKey, type ImageStore } from '../../src/image/store/store.js';

interface StoreUnderTest {
  store: ImageStore;
  /** Everything the store holds in its backing medium, temporaries included. */
  residue(): Promise<string[]>;
  dispose(): Promise<void>;
}

const IMPLEMENTATIONS: { name: string; open(): Promise<StoreUnderTest> }[] = [
  {
    name: 'file',
    async open() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-images-'));
      const root = path.join(dir, 'images');
      return {
        store: new FileImageStore(root),
        residue: async () => (fs.existsSync(root) ? fs.readdirSync(root).sort() : []),
        dispose: async () => fs.rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
];

/** A stream of `chunks` buffers, the way a request body arrives. */
function chunked(data: Buffer, chunkSize = 64 * 1024): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunkSize) parts.push(data.subarray(i, i + chunkSize));
  return Readable.from(parts);
}

/** Sends `good` bytes, then fails, as a client that drops its connection. */
function failingAfter(good: Buffer): Readable {
  return Readable.from((async function* () {
    yield good;
    await new Promise((r) => setImmediate(r));
    throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
  })());
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function digests(data: Buffer) {
  return {
    size: data.length,
    checksum: createHash('md5').update(data).digest('hex'),
    os_hash_algo: 'sha512',
    os_hash_value: createHash('sha512').update(data).digest('hex'),
  };
}

for (const impl of IMPLEMENTATIONS) {
  describe(`ImageStore contract: ${impl.name}`, () => {
    let sut: StoreUnderTest;
    before(async () => { sut = await impl.open(); });
    after(async () => { await sut.dispose(); });

    test('put streams the data and reports its size, MD5 and SHA-512', async () => {
      const id = randomUUID();
      const data = randomBytes(3 * 1024 * 1024 + 17);
      const result = await sut.store.put(id, chunked(data));
      assert.deepEqual(result, digests(data));
      assert.equal(await sut.store.exists(id), true);
    });

    test('get returns exactly the bytes that were put, with their size', async () => {
      const id = randomUUID();
      const data = randomBytes(200_000);
      await sut.store.put(id, chunked(data, 4096));
      const { stream, size } = await sut.store.get(id);
      assert.equal(size, data.length);
      assert.ok((await readAll(stream)).equals(data));
    });

    test('an empty image is stored with the digests of no bytes', async () => {
      const id = randomUUID();
      const result = await sut.store.put(id, Readable.from([]));
      assert.deepEqual(result, digests(Buffer.alloc(0)));
      const { stream, size } = await sut.store.get(id);
      assert.equal(size, 0);
      assert.equal((await readAll(stream)).length, 0);
    });

    test('get and exists on an unknown id: ImageDataNotFound and false', async () => {
      const id = randomUUID();
      assert.equal(await sut.store.exists(id), false);
      await assert.rejects(sut.store.get(id), ImageDataNotFound);
    });

    test('delete removes the data, and deleting again is not an error', async () => {
      const id = randomUUID();
      await sut.store.put(id, chunked(randomBytes(1000)));
      assert.equal(await sut.store.delete(id), true);
      assert.equal(await sut.store.exists(id), false);
      await assert.rejects(sut.store.get(id), ImageDataNotFound);
      assert.equal(await sut.store.delete(id), false);
    });

    test('a put whose source fails leaves nothing behind and rejects with the failure', async () => {
      const id = randomUUID();
      const before = await sut.residue();
      await assert.rejects(sut.store.put(id, failingAfter(randomBytes(100_000))), /aborted/);
      assert.equal(await sut.store.exists(id), false);
      assert.deepEqual(await sut.residue(), before);
    });

    test('a put destroyed mid-way (client gone) leaves nothing behind', async () => {
      const id = randomUUID();
      const before = await sut.residue();
      const source = new Readable({ read() {} });
      source.push(randomBytes(50_000));
      const pending = sut.store.put(id, source);
      setTimeout(() => source.destroy(), 10);
      await assert.rejects(pending);
      assert.equal(await sut.store.exists(id), false);
      assert.deepEqual(await sut.residue(), before);
    });

    test('a failed put over existing data leaves the earlier data intact', async () => {
      const id = randomUUID();
      const original = randomBytes(10_000);
      await sut.store.put(id, chunked(original));
      await assert.rejects(sut.store.put(id, failingAfter(randomBytes(5000))));
      const { stream } = await sut.store.get(id);
      assert.ok((await readAll(stream)).equals(original));
    });

    test('concurrent puts to different ids do not mix their data', async () => {
      const items = Array.from({ length: 6 }, () => ({ id: randomUUID(), data: randomBytes(150_000) }));
      const results = await Promise.all(items.map((i) => sut.store.put(i.id, chunked(i.data, 8192))));
      for (const [n, item] of items.entries()) {
        assert.equal(results[n]!.checksum, digests(item.data).checksum);
        const { stream } = await sut.store.get(item.id);
        assert.ok((await readAll(stream)).equals(item.data));
      }
    });

    test('keys that could escape the store are refused', async () => {
      for (const bad of ['../etc/passwd', '.hidden', 'a/b', '', '..']) {
        await assert.rejects(sut.store.put(bad, Readable.from([Buffer.from('x')])), InvalidImageKey);
        await assert.rejects(sut.store.get(bad), InvalidImageKey);
        await assert.rejects(sut.store.delete(bad), InvalidImageKey);
      }
    });
  });
}
