/**
 * Image files for the format inspector tests: headers built byte by byte (for
 * the hostile cases no tool will write) and real images made by qemu-img and
 * genisoimage. Every qemu-img call names its format with -f.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const MiB = 1024 * 1024;

async function has(tool: string, args: string[]): Promise<boolean> {
  try {
    await run(tool, args);
    return true;
  } catch {
    return false;
  }
}

export const qemuImgAvailable = await has('qemu-img', ['--version']);
export const genisoimageAvailable = await has('genisoimage', ['--version']);

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-crafted-'));
}

/** `qemu-img create -f <format> [options] <file> [size]` in `dir`; returns the file's path. */
export async function qemuImgCreate(dir: string, format: string, file: string, size: string | null, options: string[] = []): Promise<string> {
  const target = path.join(dir, file);
  await run('qemu-img', ['create', '-f', format, ...options, target, ...(size === null ? [] : [size])], { cwd: dir });
  return target;
}

/** The virtual size qemu-img reports when told the format. */
export async function qemuVirtualSize(file: string, format: string): Promise<number> {
  const { stdout } = await run('qemu-img', ['info', '-f', format, '--output=json', file]);
  return JSON.parse(stdout)['virtual-size'] as number;
}

/** An ISO 9660 image of one small file, made by genisoimage. */
export async function makeIso(dir: string, name = 'disk.iso'): Promise<string> {
  const content = path.join(dir, `iso-content-${name}`);
  fs.mkdirSync(content);
  fs.writeFileSync(path.join(content, 'hello.txt'), 'hello from an ISO\n');
  const target = path.join(dir, name);
  await run('genisoimage', ['-quiet', '-V', 'config-2', '-J', '-r', '-o', target, content]);
  return target;
}

export interface Qcow2Fields {
  version?: number;
  backingFileOffset?: bigint;
  size?: bigint;
  incompatibleFeatures?: bigint;
  headerLength?: number;
  /** Total bytes (zero padded); default one 64 KiB cluster. */
  length?: number;
}

/** A minimal QCOW2 header (big-endian, as qcow2.txt lays it out). */
export function qcow2Image(f: Qcow2Fields = {}): Buffer {
  const b = Buffer.alloc(f.length ?? 64 * 1024);
  b.write('QFI\xfb', 0, 'latin1');
  const version = f.version ?? 3;
  b.writeUInt32BE(version, 4);
  b.writeBigUInt64BE(f.backingFileOffset ?? 0n, 8);
  if ((f.backingFileOffset ?? 0n) !== 0n) {
    b.writeUInt32BE(11, 16); // backing_file_size
    b.write('/etc/passwd', Number(f.backingFileOffset), 'latin1');
  }
  b.writeUInt32BE(16, 20); // cluster_bits: 64 KiB
  b.writeBigUInt64BE(f.size ?? BigInt(64 * MiB), 24);
  if (version >= 3) {
    b.writeBigUInt64BE(f.incompatibleFeatures ?? 0n, 72);
    b.writeUInt32BE(4, 96); // refcount_order
    b.writeUInt32BE(f.headerLength ?? 104, 100);
  }
  return b;
}

export interface VmdkFields {
  createType?: string;
  extentLines?: string[];
  extraLines?: string[];
  capacitySectors?: bigint;
  /** Grain directory at the end: the header is repeated in a footer. */
  gdAtEnd?: boolean;
  /** With gdAtEnd: write a correct footer (default) or a broken one. */
  footer?: 'good' | 'bad' | 'none';
  version?: number;
}

function sparseHeader(f: VmdkFields, capacity: bigint): Buffer {
  const h = Buffer.alloc(512);
  h.write('KDMV', 0, 'latin1');
  h.writeUInt32LE(f.version ?? 1, 4);
  h.writeUInt32LE(3, 8);
  h.writeBigUInt64LE(capacity, 12);
  h.writeBigUInt64LE(128n, 20);
  h.writeBigUInt64LE(1n, 28); // descriptor at sector 1
  h.writeBigUInt64LE(2n, 36); // two sectors long
  h.writeUInt32LE(512, 44);
  h.writeBigUInt64LE(f.gdAtEnd ? 0xffffffffffffffffn : 8n, 56);
  return h;
}

/** A single-file sparse VMDK: header, embedded descriptor, a little grain space. */
export function vmdkSparseImage(f: VmdkFields = {}): Buffer {
  const capacity = f.capacitySectors ?? 20480n;
  const header = sparseHeader(f, capacity);
  if (f.gdAtEnd) header.writeBigUInt64LE(0xffffffffffffffffn, 56);
  const text = [
    '# Disk DescriptorFile', 'version=1', 'CID=12345678', 'parentCID=ffffffff',
    `createType="${f.createType ?? 'monolithicSparse'}"`, ...(f.extraLines ?? []), '',
    '# Extent description', ...(f.extentLines ?? [`RW ${capacity} SPARSE "disk.vmdk"`]), '',
    '# The Disk Data Base', '#DDB', '', 'ddb.virtualHWVersion = "4"', 'ddb.adapterType = "ide"', '',
  ].join('\n');
  const descriptor = Buffer.alloc(1024);
  descriptor.write(text, 0, 'latin1');
  const parts = [header, descriptor, Buffer.alloc(8 * 512)];
  if (f.gdAtEnd && (f.footer ?? 'good') !== 'none') {
    const marker = Buffer.alloc(512);
    marker.writeUInt32LE(3, 12); // MARKER_FOOTER
    const footer = sparseHeader(f, capacity);
    footer.writeBigUInt64LE(f.footer === 'bad' ? 0xffffffffffffffffn : 9n, 56);
    parts.push(marker, footer, Buffer.alloc(512));
  }
  return Buffer.concat(parts);
}

/** A text-only VMDK descriptor whose extent is another host file (the OSSA-2024-002 VMDK case). */
export function vmdkDescriptorFile(extentPath = '/etc/passwd'): Buffer {
  return Buffer.from([
    '# Disk DescriptorFile', 'version=1', 'CID=fffffffe', 'parentCID=ffffffff', 'createType="monolithicFlat"', '',
    '# Extent description', `RW 2048 FLAT "${extentPath}" 0`, '',
  ].join('\n'), 'latin1');
}

/** A kernel-like file: an "MZ" boot sector with the 0x55AA signature and nonsense partition entries. */
export function kernelLikeImage(length = 64 * 1024): Buffer {
  const b = Buffer.alloc(length, 0xff);
  b.write('MZ', 0, 'latin1');
  b[510] = 0x55;
  b[511] = 0xaa;
  b.write('HdrS', 0x202, 'latin1');
  return b;
}

/** A disk with an MBR holding one Linux partition. */
export function mbrDiskImage(length = 1 * MiB): Buffer {
  const b = Buffer.alloc(length);
  const pte = 446;
  b[pte] = 0x80; // bootable
  b[pte + 4] = 0x83; // Linux
  b.writeUInt32LE(2048, pte + 8);
  b.writeUInt32LE(length / 512 - 2048, pte + 12);
  b[510] = 0x55;
  b[511] = 0xaa;
  return b;
}

/** Bytes that are no image format at all (and not, by chance, signed like an MBR). */
export function noiseImage(length: number, seed = 1): Buffer {
  const b = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  if (length >= 512) b[511] = 0;
  return b;
}
