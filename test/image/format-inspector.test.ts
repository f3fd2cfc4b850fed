/**
 * The format inspector on crafted and real images: what each file is, its
 * virtual size (checked against qemu-img for real images), the safety issues
 * of hostile ones (backing file, external data file, unknown qcow2 features,
 * VMDK descriptors naming other files, differencing disks, hidden second
 * headers), and which declared disk_formats each is accepted as. Results must
 * not depend on how the stream is cut into chunks.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  FormatInspector, ImageFormatMismatch, UnsafeImage, UnsupportedDiskFormat, checkDeclaredFormat, inspectImageFile,
  recordedVirtualSize, verifyImageFile, type InspectionResult,
} from '../../src/image/format-inspector.js';
import {
  MiB, genisoimageAvailable, kernelLikeImage, makeIso, mbrDiskImage, noiseImage, qcow2Image, qemuImgAvailable,
  qemuImgCreate, qemuVirtualSize, tempDir, vmdkDescriptorFile, vmdkSparseImage,
} from './crafted-images.js';

function inspect(data: Buffer, chunkSize = data.length || 1): InspectionResult {
  const inspector = new FormatInspector();
  for (let i = 0; i < data.length; i += chunkSize) inspector.feed(data.subarray(i, i + chunkSize));
  return inspector.finish();
}

/** The same verdict however the stream is chunked, and from a file on disk. */
async function inspectEveryWay(data: Buffer, dir: string): Promise<InspectionResult> {
  const whole = inspect(data);
  for (const size of [1, 7, 511, 512, 4096, 65536]) {
    if (size === 1 && data.length > 256 * 1024) continue;
    assert.deepEqual(inspect(data, size), whole, `chunks of ${size} bytes`);
  }
  const file = path.join(dir, `inspect-${Math.random().toString(16).slice(2)}`);
  fs.writeFileSync(file, data);
  assert.deepEqual(await inspectImageFile(file), whole, 'read from a file');
  return whole;
}

function issuesOf(r: InspectionResult): string {
  return r.safetyIssues.join(' ');
}

describe('format inspector: crafted images', () => {
  let dir: string;
  before(() => { dir = tempDir(); });
  after(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  test('a clean qcow2 v3 header: qcow2, virtual size from the header, no issues', async () => {
    const r = await inspectEveryWay(qcow2Image({ size: 5n * BigInt(MiB) + 512n }), dir);
    assert.deepEqual(r, { format: 'qcow2', virtualSize: 5 * MiB + 512, size: 64 * 1024, safetyIssues: [] });
    assert.doesNotThrow(() => checkDeclaredFormat('qcow2', r));
  });

  test('qcow2 v2 without a feature field is fine too', async () => {
    const r = await inspectEveryWay(qcow2Image({ version: 2 }), dir);
    assert.equal(r.format, 'qcow2');
    assert.deepEqual(r.safetyIssues, []);
  });

  test('qcow2 with a backing file is unsafe under every declaration', async () => {
    const r = await inspectEveryWay(qcow2Image({ backingFileOffset: 0x200n }), dir);
    assert.equal(r.format, 'qcow2');
    assert.match(issuesOf(r), /backing file/);
    for (const declared of ['qcow2', 'raw', 'aki', 'ari', 'ami', 'iso']) {
      assert.throws(() => checkDeclaredFormat(declared, r), (e: unknown) => e instanceof UnsafeImage && /backing file/.test(e.message), declared);
    }
  });

  test('qcow2 with the external data-file bit (incompatible feature bit 2) is unsafe', async () => {
    const r = await inspectEveryWay(qcow2Image({ incompatibleFeatures: 1n << 2n }), dir);
    assert.match(issuesOf(r), /external data file/);
    assert.throws(() => checkDeclaredFormat('qcow2', r), UnsafeImage);
  });

  test('unknown incompatible feature bits are refused, known harmless ones are not', async () => {
    const unknown = await inspectEveryWay(qcow2Image({ incompatibleFeatures: 1n << 5n }), dir);
    assert.match(issuesOf(unknown), /features that are not supported/);
    const high = inspect(qcow2Image({ incompatibleFeatures: 1n << 63n }));
    assert.match(issuesOf(high), /features that are not supported/);
    // dirty (0) and compression type (3)
    const known = inspect(qcow2Image({ incompatibleFeatures: (1n << 0n) | (1n << 3n) }));
    assert.deepEqual(known.safetyIssues, []);
  });

  test('qcow version 1 and a truncated header are refused, even declared raw', async () => {
    const v1 = inspect(qcow2Image({ version: 1 }));
    assert.equal(v1.format, 'qcow2');
    assert.match(issuesOf(v1), /qcow version 1/);
    const truncated = await inspectEveryWay(qcow2Image().subarray(0, 40), dir);
    assert.equal(truncated.format, 'qcow2');
    assert.match(issuesOf(truncated), /incomplete/);
    assert.throws(() => checkDeclaredFormat('raw', truncated), UnsafeImage);
  });

  test('a qcow2 declared raw does not match (the OSSA-2024-002 disguise), nor raw bytes declared qcow2', async () => {
    const qcow = inspect(qcow2Image());
    assert.throws(() => checkDeclaredFormat('raw', qcow), (e: unknown) =>
      e instanceof ImageFormatMismatch && e.declaredFormat === 'raw' && e.detectedFormat === 'qcow2'
      && /does not match disk_format/.test(e.message));
    const noise = await inspectEveryWay(noiseImage(300 * 1024, 7), dir);
    assert.deepEqual(noise, { format: 'raw', virtualSize: 300 * 1024, size: 300 * 1024, safetyIssues: [] });
    assert.throws(() => checkDeclaredFormat('qcow2', noise), ImageFormatMismatch);
    assert.doesNotThrow(() => checkDeclaredFormat('raw', noise));
  });

  test('a text VMDK descriptor naming another file is refused as vmdk and as raw', async () => {
    const r = await inspectEveryWay(vmdkDescriptorFile('/etc/shadow'), dir);
    assert.equal(r.format, 'vmdk');
    assert.match(issuesOf(r), /descriptor file/);
    assert.throws(() => checkDeclaredFormat('vmdk', r), UnsafeImage);
    assert.throws(() => checkDeclaredFormat('raw', r), UnsafeImage);
    // Other text is just raw data.
    const text = inspect(Buffer.from('just some notes\nnothing else\n'));
    assert.equal(text.format, 'raw');
  });

  test('a single-file sparse VMDK is accepted with its capacity as virtual size', async () => {
    const r = await inspectEveryWay(vmdkSparseImage({ capacitySectors: 4096n }), dir);
    assert.deepEqual(r.safetyIssues, []);
    assert.equal(r.format, 'vmdk');
    assert.equal(r.virtualSize, 4096 * 512);
    assert.doesNotThrow(() => checkDeclaredFormat('vmdk', r));
  });

  test('sparse VMDKs whose descriptor reaches other files are refused', async () => {
    const flat = inspect(vmdkSparseImage({ createType: 'monolithicFlat', extentLines: ['RW 2048 FLAT "/etc/passwd" 0'] }));
    assert.match(issuesOf(flat), /subformat monolithicflat/);
    assert.match(issuesOf(flat), /other directories/);
    const parent = inspect(vmdkSparseImage({ extraLines: ['parentFileNameHint="/var/lib/nova/instances/x/disk"'] }));
    assert.match(issuesOf(parent), /parent disk/);
    const noCapacity = inspect(vmdkSparseImage({ capacitySectors: 0n }));
    assert.match(issuesOf(noCapacity), /no capacity/);
    const strange = inspect(vmdkSparseImage({ extraLines: ['include other.vmdk'] }));
    assert.match(issuesOf(strange), /not understood/);
    const noExtent = inspect(vmdkSparseImage({ extentLines: [] }));
    assert.match(issuesOf(noExtent), /no extents/);
  });

  test('a streamOptimized VMDK with its header in a footer: the footer must be one', async () => {
    const good = await inspectEveryWay(vmdkSparseImage({ createType: 'streamOptimized', gdAtEnd: true }), dir);
    assert.deepEqual(good.safetyIssues, []);
    const bad = await inspectEveryWay(vmdkSparseImage({ createType: 'streamOptimized', gdAtEnd: true, footer: 'bad' }), dir);
    assert.match(issuesOf(bad), /footer is invalid/);
    const missing = inspect(vmdkSparseImage({ createType: 'streamOptimized', gdAtEnd: true, footer: 'none' }));
    assert.match(issuesOf(missing), /footer is invalid/);
  });

  test('a qcow2 header with an ISO volume descriptor behind it matches two formats and is refused', async () => {
    const data = Buffer.concat([qcow2Image({ length: 40 * 1024 })]);
    data.write('\x01CD001\x01', 32 * 1024, 'latin1');
    const r = await inspectEveryWay(data, dir);
    assert.match(issuesOf(r), /more than one disk format \(qcow2, iso\)/);
    assert.throws(() => checkDeclaredFormat('iso', r), UnsafeImage);
    assert.throws(() => checkDeclaredFormat('qcow2', r), UnsafeImage);
  });

  test('a partitioned disk is "gpt", and raw accepts it; a FAT boot sector is not a partition table', async () => {
    const r = await inspectEveryWay(mbrDiskImage(), dir);
    assert.equal(r.format, 'gpt');
    assert.equal(r.virtualSize, MiB);
    assert.doesNotThrow(() => checkDeclaredFormat('raw', r));
    assert.doesNotThrow(() => checkDeclaredFormat('ami', r));
    assert.throws(() => checkDeclaredFormat('qcow2', r), ImageFormatMismatch);
    const fat = mbrDiskImage();
    fat[0x10] = 2;
    fat[0x15] = 0xf8;
    assert.equal(inspect(fat).format, 'raw');
  });

  test('aki and ari take a kernel or ramdisk but never a disk image format', () => {
    const kernel = inspect(kernelLikeImage());
    assert.doesNotThrow(() => checkDeclaredFormat('aki', kernel));
    assert.equal(recordedVirtualSize('aki', kernel), null, 'a kernel has no virtual size');
    const gzip = inspect(Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), noiseImage(4000, 3)]));
    assert.doesNotThrow(() => checkDeclaredFormat('ari', gzip));
    const qcow = inspect(qcow2Image());
    for (const declared of ['aki', 'ari']) {
      assert.throws(() => checkDeclaredFormat(declared, qcow), ImageFormatMismatch, declared);
    }
  });

  test('declarations: unknown formats are unsupported; archives are checked for safety only', () => {
    const noise = inspect(noiseImage(4096));
    assert.throws(() => checkDeclaredFormat('floppy', noise), UnsupportedDiskFormat);
    assert.throws(() => checkDeclaredFormat('iso', noise), ImageFormatMismatch);
    assert.doesNotThrow(() => checkDeclaredFormat('qcow2', noise, { containerFormat: 'ova' }));
    assert.equal(recordedVirtualSize('qcow2', noise, { containerFormat: 'ova' }), null);
    assert.throws(() => checkDeclaredFormat('qcow2', inspect(qcow2Image({ backingFileOffset: 0x200n })), { containerFormat: 'ova' }), UnsafeImage);
    assert.equal(recordedVirtualSize('raw', noise, { containerFormat: 'bare' }), 4096);
  });

  test('with an expected format, a refusal surfaces while streaming, before the end', () => {
    const inspector = new FormatInspector({ expectedFormat: 'raw' });
    const header = qcow2Image({ backingFileOffset: 0x200n });
    let fed = 0;
    assert.throws(() => {
      for (let i = 0; i < 1000; i++) {
        inspector.feed(i === 0 ? header : Buffer.alloc(64 * 1024));
        fed += 64 * 1024;
      }
    }, UnsafeImage);
    assert.ok(fed < 1024 * 1024, `refused after ${fed} bytes`);

    const mismatch = new FormatInspector({ expectedFormat: 'qcow2' });
    assert.throws(() => { for (let i = 0; i < 1000; i++) mismatch.feed(noiseImage(64 * 1024, i + 1)); }, ImageFormatMismatch);
    assert.ok(mismatch.position < 1024 * 1024);

    // A good image is only judged at the end.
    const fine = new FormatInspector({ expectedFormat: 'qcow2' });
    fine.feed(qcow2Image());
    assert.equal(fine.finish().format, 'qcow2');
  });

  test('inspecting a large file reads only what it needs', { timeout: 20_000 }, async () => {
    const file = path.join(dir, 'sparse.raw');
    const size = 200 * 1024 * MiB; // 200 GiB, sparse: reading it all would take minutes
    fs.writeFileSync(file, mbrDiskImage(MiB));
    fs.truncateSync(file, size);
    const r = await verifyImageFile(file, 'raw');
    assert.deepEqual(r, { format: 'gpt', virtualSize: size, size, safetyIssues: [] });
  });
});

describe('format inspector: images made by qemu-img and genisoimage', { skip: !qemuImgAvailable && 'qemu-img is not installed' }, () => {
  let dir: string;
  before(() => { dir = tempDir(); });
  after(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  const good: [format: string, detected: string, options: string[], qemuFormat: string][] = [
    ['qcow2', 'qcow2', [], 'qcow2'],
    ['vmdk', 'vmdk', ['-o', 'subformat=monolithicSparse'], 'vmdk'],
    ['vmdk', 'vmdk', ['-o', 'subformat=streamOptimized'], 'vmdk'],
    ['vhd', 'vhd', [], 'vpc'],
    ['vhd', 'vhd', ['-o', 'subformat=fixed'], 'vpc'],
    ['vhdx', 'vhdx', [], 'vhdx'],
    ['vdi', 'vdi', [], 'vdi'],
    ['ploop', 'ploop', [], 'parallels'],
    ['raw', 'raw', [], 'raw'],
  ];
  for (const [declared, detected, options, qemuFormat] of good) {
    test(`qemu-img ${qemuFormat} ${options.join(' ')} is ${detected}, with qemu-img's virtual size`, async () => {
      const file = await qemuImgCreate(dir, qemuFormat, `good-${qemuFormat}-${options.length}`, '10M', options);
      const r = await verifyImageFile(file, declared);
      assert.equal(r.format, detected);
      assert.deepEqual(r.safetyIssues, []);
      assert.equal(r.virtualSize, await qemuVirtualSize(file, qemuFormat));
      assert.equal(r.size, fs.statSync(file).size);
      // And streamed in one pass.
      assert.deepEqual(inspect(fs.readFileSync(file), 65536), r);
    });
  }

  test('qemu-img qcow2 of 64 MiB is 64 MiB virtual', async () => {
    const file = await qemuImgCreate(dir, 'qcow2', 'sixty-four.qcow2', '64M');
    const r = await verifyImageFile(file, 'qcow2');
    assert.equal(r.virtualSize, 64 * MiB);
  });

  test('qemu-img qcow2 with a backing file (-b base.raw -F raw) is refused', async () => {
    await qemuImgCreate(dir, 'raw', 'base.raw', '1M');
    const file = await qemuImgCreate(dir, 'qcow2', 'overlay.qcow2', null, ['-b', 'base.raw', '-F', 'raw']);
    await assert.rejects(verifyImageFile(file, 'qcow2'), (e: unknown) => e instanceof UnsafeImage && /backing file/.test(e.message));
    await assert.rejects(verifyImageFile(file, 'raw'), UnsafeImage);
  });

  test('qemu-img qcow2 with an external data file is refused', async () => {
    const file = await qemuImgCreate(dir, 'qcow2', 'datafile.qcow2', '1M', ['-o', 'data_file=datafile.data,data_file_raw=on']);
    await assert.rejects(verifyImageFile(file, 'qcow2'), (e: unknown) => e instanceof UnsafeImage && /data file/.test(e.message));
  });

  test('qemu-img monolithicFlat VMDK (a descriptor naming its flat file) is refused', async () => {
    const file = await qemuImgCreate(dir, 'vmdk', 'flat.vmdk', '1M', ['-o', 'subformat=monolithicFlat']);
    await assert.rejects(verifyImageFile(file, 'vmdk'), UnsafeImage);
    await assert.rejects(verifyImageFile(file, 'raw'), UnsafeImage);
  });

  test('QED and LUKS images are recognised and refused', async () => {
    const qed = await qemuImgCreate(dir, 'qed', 'x.qed', '1M');
    await assert.rejects(verifyImageFile(qed, 'raw'), (e: unknown) => e instanceof UnsafeImage && /QED/.test(e.message));
    // qemu-img's LUKS creation spends seconds on key stretching (and fails when it cannot time it): craft the header.
    const luks = Buffer.alloc(4096);
    Buffer.from([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe, 0x00, 0x01]).copy(luks);
    luks.write('aes', 8, 'latin1');
    luks.write('xts-plain64', 40, 'latin1');
    luks.write('sha256', 72, 'latin1');
    const r = inspect(luks, 100);
    assert.equal(r.format, 'luks');
    assert.throws(() => checkDeclaredFormat('raw', r), (e: unknown) => e instanceof UnsafeImage && /LUKS/.test(e.message));
  });

  test('a differencing VHD or VDI is refused', async () => {
    const vhd = fs.readFileSync(await qemuImgCreate(dir, 'vpc', 'diff.vhd', '1M'));
    vhd.writeUInt32BE(4, 60); // disk type: differencing
    const r = inspect(vhd);
    assert.match(issuesOf(r), /differencing VHD/);
    const vdi = fs.readFileSync(await qemuImgCreate(dir, 'vdi', 'diff.vdi', '1M'));
    vdi.writeUInt32LE(4, 0x4c); // image type: diff
    assert.match(issuesOf(inspect(vdi)), /differencing or undo VDI/);
  });

  test('a differencing VHDX (HasParent in its file parameters) is refused', async () => {
    const data = fs.readFileSync(await qemuImgCreate(dir, 'vhdx', 'diff.vhdx', '1M'));
    // Find the metadata table (at a 64 KiB boundary) and the File Parameters item it lists.
    const fileParameters = Buffer.from('3767a1ca36fa434db3b633f0aa44e76b', 'hex');
    let region = -1;
    for (let at = 256 * 1024; at < data.length; at += 64 * 1024) {
      if (data.subarray(at, at + 8).toString('latin1') === 'metadata') { region = at; break; }
    }
    assert.ok(region > 0, 'metadata table found');
    const entry = data.indexOf(fileParameters, region);
    assert.ok(entry > region && entry < region + 64 * 1024);
    const item = region + data.readUInt32LE(entry + 16);
    assert.deepEqual(inspect(data).safetyIssues, []);
    data.writeUInt32LE(data.readUInt32LE(item + 4) | 2, item + 4);
    assert.match(issuesOf(inspect(data, 4096)), /differencing VHDX/);
  });

  test('an ISO from genisoimage is iso (virtual size = its size), accepted as iso and as raw, not as qcow2', { skip: !genisoimageAvailable && 'genisoimage is not installed' }, async () => {
    const file = await makeIso(dir);
    const r = await verifyImageFile(file, 'iso');
    assert.equal(r.format, 'iso');
    assert.equal(r.virtualSize, fs.statSync(file).size);
    assert.equal((await verifyImageFile(file, 'raw')).format, 'iso');
    await assert.rejects(verifyImageFile(file, 'qcow2'), ImageFormatMismatch);
    // A hybrid ISO also carries an MBR: still an ISO.
    const hybrid = fs.readFileSync(file);
    mbrDiskImage().copy(hybrid, 0, 0, 512);
    assert.deepEqual(inspect(hybrid, 2048), { ...r, safetyIssues: [] });
  });
});
