/**
 * Uploads are inspected as they stream into the store (on every database
 * target): an image whose content is unsafe (a qcow2 backing file or external
 * data file, a VMDK descriptor naming other files) or is not its declared
 * disk_format answers 400 with a Glance-like message, leaves the image queued
 * with nothing in the store, and can be retried with good data; a good image
 * becomes active with its virtual_size recorded.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { syncDatabase } from '../../src/db/migrate.js';
import { imageMigrations } from '../../src/image/migrations.js';
import { authHeaders, TEST_AUTH } from '../helpers/auth.js';
import { databaseTargets } from '../helpers/databases.js';
import {
  MiB, genisoimageAvailable, kernelLikeImage, makeIso, noiseImage, qcow2Image, qemuImgAvailable, qemuImgCreate,
  tempDir, vmdkDescriptorFile, vmdkSparseImage,
} from './crafted-images.js';
import { startImageApp, type ImageTestApp } from './image-test-app.js';

const OCTETS = { 'content-type': 'application/octet-stream' };

for (const target of await databaseTargets()) {
  describe(`image upload safety on ${target.name}`, () => {
    let handle: Awaited<ReturnType<typeof target.open>>;
    let t: ImageTestApp;
    let dir: string;
    before(async () => {
      handle = await target.open();
      await syncDatabase(handle.db, [imageMigrations]);
      t = await startImageApp({ db: handle.db });
      dir = tempDir();
    });
    after(async () => {
      await t.close();
      await handle.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    async function create(disk_format: string, container_format = 'bare'): Promise<string> {
      const res = await t.app.inject({
        method: 'POST', url: '/image/v2/images', headers: authHeaders('demo'), payload: { name: `up-${disk_format}`, disk_format, container_format },
      });
      assert.equal(res.statusCode, 201, res.body);
      return res.json().id as string;
    }

    const put = (id: string, data: Buffer) =>
      t.app.inject({ method: 'PUT', url: `/image/v2/images/${id}/file`, headers: { ...authHeaders('demo'), ...OCTETS }, payload: data });

    const show = async (id: string) =>
      (await t.app.inject({ method: 'GET', url: `/image/v2/images/${id}`, headers: authHeaders('demo') })).json();

    /** Upload `data` as `disk_format`; it must be refused with a message matching `why`, leaving no trace. */
    async function expectRefused(disk_format: string, data: Buffer, why: RegExp, container_format = 'bare'): Promise<string> {
      const id = await create(disk_format, container_format);
      const res = await put(id, data);
      assert.equal(res.statusCode, 400, res.body);
      const body = res.json();
      assert.equal(body.code, '400 Bad Request');
      assert.match(body.message, why);
      const image = await show(id);
      assert.equal(image.status, 'queued');
      assert.equal(image.size, null);
      assert.equal(image.virtual_size, null);
      assert.equal(image.checksum, null);
      assert.equal(await t.store.exists(id), false);
      assert.deepEqual(fs.readdirSync(t.storeDir).filter((f) => f.startsWith('.')), [], 'no temporary upload left');
      return id;
    }

    async function expectAccepted(disk_format: string, data: Buffer, virtualSize: number | null, container_format = 'bare') {
      const id = await create(disk_format, container_format);
      const res = await put(id, data);
      assert.equal(res.statusCode, 204, res.body);
      const image = await show(id);
      assert.equal(image.status, 'active');
      assert.equal(image.size, data.length);
      assert.equal(image.virtual_size, virtualSize);
      return id;
    }

    test('a crafted qcow2 with a backing file is refused as qcow2 and as raw', async () => {
      const evil = qcow2Image({ backingFileOffset: 0x200n });
      await expectRefused('qcow2', evil, /^Image failed safety checks: Image has a backing file, which is not allowed\./);
      await expectRefused('raw', evil, /backing file/);
    });

    test('a crafted qcow2 with the external data-file bit is refused', async () => {
      await expectRefused('qcow2', qcow2Image({ incompatibleFeatures: 4n }), /external data file/);
      await expectRefused('qcow2', qcow2Image({ incompatibleFeatures: 1n << 40n }), /features that are not supported/);
    });

    test('a clean qcow2 uploaded as raw does not match; random bytes uploaded as qcow2 do not either', async () => {
      await expectRefused('raw', qcow2Image(), /^Image content does not match disk_format: disk_format is raw but the data is qcow2\.$/);
      await expectRefused('qcow2', noiseImage(3 * 65536 + 17, 11), /disk_format is qcow2 but the data is raw/);
    });

    test('a VMDK descriptor naming an external extent is refused as vmdk and as raw', async () => {
      await expectRefused('vmdk', vmdkDescriptorFile('/etc/passwd'), /VMDK descriptor file/);
      await expectRefused('raw', vmdkDescriptorFile('/var/lib/kilonova/state.db'), /VMDK descriptor file/);
      await expectRefused('vmdk', vmdkSparseImage({ createType: 'monolithicFlat', extentLines: ['RW 2048 FLAT "/etc/passwd" 0'] }), /subformat monolithicflat/);
    });

    test('a crafted qcow2 is accepted as qcow2 with the header virtual size', async () => {
      await expectAccepted('qcow2', qcow2Image({ size: 3n * BigInt(MiB) }), 3 * MiB);
    });

    test('raw data is accepted with its size as virtual size; a single-file VMDK with its capacity', async () => {
      const raw = noiseImage(2 * MiB + 3, 5);
      await expectAccepted('raw', raw, raw.length);
      await expectAccepted('vmdk', vmdkSparseImage({ capacitySectors: 8192n }), 8192 * 512);
    });

    test('a refused upload can be retried with good data', async () => {
      const id = await expectRefused('qcow2', qcow2Image({ backingFileOffset: 0x200n }), /backing file/);
      const res = await put(id, qcow2Image({ size: BigInt(MiB) }));
      assert.equal(res.statusCode, 204, res.body);
      const image = await show(id);
      assert.equal(image.status, 'active');
      assert.equal(image.virtual_size, MiB);
    });

    test('a kernel is accepted as aki without a virtual size; a qcow2 is not', async () => {
      await expectAccepted('aki', kernelLikeImage(), null, 'aki');
      await expectAccepted('ari', Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), noiseImage(5000, 9)]), null, 'ari');
      await expectRefused('aki', qcow2Image(), /disk_format is aki but the data is qcow2/, 'aki');
    });

    test('inside an archive container only safety is checked', async () => {
      await expectAccepted('qcow2', noiseImage(10_000, 13), null, 'ova');
      await expectRefused('qcow2', qcow2Image({ backingFileOffset: 0x200n }), /backing file/, 'ova');
    });

    test('a refusal stops the upload early instead of reading everything', async () => {
      const id = await create('raw');
      let produced = 0;
      const endless = Readable.from((async function* () {
        yield qcow2Image({ backingFileOffset: 0x200n });
        for (let i = 0; i < 16 * 1024; i++) { // 1 GiB, if it were all read
          produced += 64 * 1024;
          yield Buffer.alloc(64 * 1024);
        }
      })());
      await assert.rejects(t.images.uploadImageData(id, endless, TEST_AUTH.demo), (e: any) => e.status === 400 && /backing file/.test(e.message));
      assert.ok(produced < 4 * MiB, `stopped after ${produced} bytes`);
      assert.equal((await t.images.getImage(id, TEST_AUTH.demo)).status, 'queued');
      assert.equal(await t.store.exists(id), false);
    });

    describe('real images', { skip: !qemuImgAvailable && 'qemu-img is not installed' }, () => {
      test('qemu-img create -f qcow2 (64M) is accepted with virtual_size 64 MiB', async () => {
        const file = await qemuImgCreate(dir, 'qcow2', 'good.qcow2', '64M');
        await expectAccepted('qcow2', fs.readFileSync(file), 64 * MiB);
      });

      test('qemu-img create -f qcow2 -b base.raw -F raw is refused, as qcow2 and as raw', async () => {
        await qemuImgCreate(dir, 'raw', 'base.raw', '1M');
        const file = await qemuImgCreate(dir, 'qcow2', 'overlay.qcow2', null, ['-b', 'base.raw', '-F', 'raw']);
        await expectRefused('qcow2', fs.readFileSync(file), /backing file/);
        await expectRefused('raw', fs.readFileSync(file), /backing file/);
      });

      test('an ISO from genisoimage is accepted as iso and as raw, refused as qcow2', { skip: !genisoimageAvailable && 'genisoimage is not installed' }, async () => {
        const iso = fs.readFileSync(await makeIso(dir, `upload-${target.name}.iso`));
        await expectAccepted('iso', iso, iso.length);
        await expectAccepted('raw', iso, iso.length);
        await expectRefused('qcow2', iso, /disk_format is qcow2 but the data is iso/);
      });
    });
  });
}
