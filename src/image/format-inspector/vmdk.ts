/**
 * VMDK comes in many variants; only the two that keep everything in one file
 * are allowed (monolithicSparse and streamOptimized), as Nova and Glance do.
 * Both start with a little-endian "hosted sparse extent" header:
 *
 *   0 magic 'KDMV'   4 version (1-3)   12 capacity in sectors (u64)
 *  28 descriptor offset in sectors (u64, always 1)   36 descriptor size in sectors (u64)
 *  56 grain directory offset (u64; all ones: the real header is a footer at the end)
 *
 * followed by an embedded text descriptor. QEMU opens whatever files a
 * descriptor names: extents of the other variants (OSSA-2023-002 and the
 * regression in OSSA-2024-002), and a parentFileNameHint as a backing file.
 * A text-only descriptor file is nothing but such names, so it is always
 * refused, and it is recognised the way QEMU's probe does (a "version=" line
 * after comments) or by its createType line.
 */
import { FormatProbe, TOO_LARGE, safeUint64, type StreamEnd } from './probe.js';
import type { CaptureHandle } from './byte-capture.js';

const SPARSE_MAGIC = Buffer.from('KDMV', 'ascii');
const COWD_MAGIC = Buffer.from('COWD', 'ascii');
const HEADER = 512;
const DESCRIPTOR_OFFSET = 512;
/** QEMU reads at most this much of an embedded descriptor. */
const DESCRIPTOR_MAX = (1 << 20) - 1;
/** A text descriptor file is a few hundred bytes; this much is plenty to find its createType. */
const TEXT_DESCRIPTOR_MAX = 64 * 1024;
/** QEMU's format probe looks at this many leading bytes. */
const QEMU_PROBE_BYTES = 2048;
const GD_AT_END = 0xffffffffffffffffn;
const ALLOWED_TYPES = new Set(['monolithicsparse', 'streamoptimized']);
const EXTENT_ACCESS = new Set(['rw', 'rdonly', 'noaccess']);
const MARKER_EOS = 0;
const MARKER_FOOTER = 3;
/** Footer marker, footer, end-of-stream marker: the last three sectors of a streamOptimized file with a footer. */
export const VMDK_FOOTER_BYTES = 1536;

function isTextByte(b: number): boolean {
  return (b >= 0x20 && b <= 0x7e) || b === 0x09 || b === 0x0a || b === 0x0b || b === 0x0c || b === 0x0d;
}

function isText(buf: Buffer): boolean {
  for (const b of buf) if (!isTextByte(b)) return false;
  return true;
}

/** Text up to the first NUL (descriptors are NUL-padded to whole sectors). */
function untilNul(buf: Buffer): Buffer {
  const nul = buf.indexOf(0);
  return nul < 0 ? buf : buf.subarray(0, nul);
}

/** QEMU's vmdk_probe for descriptor files: after comment and blank lines, "version=1|2|3". */
function qemuWouldProbeAsVmdk(text: string): boolean {
  let p = 0;
  while (p < text.length) {
    const ch = text[p];
    if (ch === '#') {
      const nl = text.indexOf('\n', p);
      if (nl < 0) return false;
      p = nl + 1;
      continue;
    }
    if (ch === ' ' || ch === '\r' || ch === '\n') {
      while (p < text.length && text[p] === ' ') p++;
      if (text[p] === '\r') p++;
      if (p >= text.length || text[p] !== '\n') return false;
      p++;
      continue;
    }
    return /^version=[123]\r?\n/.test(text.slice(p, p + 11));
  }
  return false;
}

function readableType(value: string): string {
  return /^[a-z0-9_-]{1,40}$/.test(value) ? value : 'unknown';
}

export class VmdkProbe extends FormatProbe {
  readonly format = 'vmdk' as const;
  private capacity: number | null = null;
  private footerExpected = false;
  private header: Buffer | null = null;
  private textCapture: CaptureHandle | null = null;

  start(): this {
    this.textCapture = this.want(0, TEXT_DESCRIPTOR_MAX, (text) => this.parseTextFile(text));
    this.want(0, HEADER, (header) => this.parseHeader(header));
    return this;
  }

  private dropTextCapture(): void {
    this.textCapture?.cancel();
    this.textCapture = null;
  }

  private parseHeader(h: Buffer): void {
    if (h.length >= 4 && h.subarray(0, 4).equals(SPARSE_MAGIC)) {
      this.dropTextCapture();
      this.decide(true);
      this.parseSparseHeader(h);
    } else if (h.length >= 4 && h.subarray(0, 4).equals(COWD_MAGIC)) {
      this.dropTextCapture();
      this.decide(true);
      this.issues.push('Image is a VMDK version 3 (COWD) file, which is not supported.');
    } else if (untilNul(h).length === 0 || !isText(untilNul(h))) {
      // Binary, or a leading NUL (a disk with an empty boot sector): no descriptor file.
      this.dropTextCapture();
      this.decide(false);
    }
    // Otherwise text (perhaps NUL-padded, as descriptors are): the text capture decides.
  }

  private parseTextFile(data: Buffer): void {
    this.textCapture = null;
    if (this.state !== 'pending') return;
    const body = untilNul(data);
    if (body.length === 0 || !isText(body)) {
      this.decide(false);
      return;
    }
    const text = body.toString('latin1');
    const found = qemuWouldProbeAsVmdk(text.slice(0, QEMU_PROBE_BYTES)) || /createtype\s*=/i.test(text);
    this.decide(found);
    if (found) this.issues.push('Image is a VMDK descriptor file, which refers to extents in other files; that is not allowed.');
  }

  private parseSparseHeader(h: Buffer): void {
    if (h.length < 64) {
      this.issues.push('Image VMDK header is incomplete.');
      return;
    }
    const version = h.readUInt32LE(4);
    if (version < 1 || version > 3) {
      this.issues.push('Image VMDK header has an unsupported version.');
      return;
    }
    this.header = Buffer.from(h.subarray(0, 64));
    const capacity = h.readBigUInt64LE(12);
    const descSectors = h.readBigUInt64LE(28);
    const descLength = h.readBigUInt64LE(36);
    this.footerExpected = h.readBigUInt64LE(56) === GD_AT_END;
    this.capacity = safeUint64(capacity * 512n);
    if (this.capacity === null) this.issues.push(TOO_LARGE);
    if (capacity === 0n) {
      // With no capacity QEMU treats the embedded descriptor as a descriptor file and opens its extents.
      this.issues.push('Image VMDK header declares no capacity, which makes QEMU open the files its descriptor names.');
    }
    if (descSectors * 512n !== BigInt(DESCRIPTOR_OFFSET) || descLength === 0n) {
      this.issues.push('Image VMDK descriptor is not where a single-file VMDK keeps it.');
      return;
    }
    const length = Number(descLength * 512n > BigInt(DESCRIPTOR_MAX) ? BigInt(DESCRIPTOR_MAX) : descLength * 512n);
    this.want(DESCRIPTOR_OFFSET, length, (desc) => this.checkDescriptor(desc));
  }

  private checkDescriptor(raw: Buffer): void {
    const body = untilNul(raw);
    if (body.length === 0) {
      this.issues.push('Image VMDK descriptor is missing.');
      return;
    }
    if (!isText(body)) {
      this.issues.push('Image VMDK descriptor is not text.');
      return;
    }
    // Descriptor keys and access modes are case-insensitive.
    const text = body.toString('latin1').toLowerCase();
    const createType = /createtype\s*=\s*"([^"\n]*)"/.exec(text)?.[1];
    if (createType === undefined) {
      this.issues.push('Image VMDK descriptor has no createType.');
    } else if (!ALLOWED_TYPES.has(createType)) {
      this.issues.push(`Image is a VMDK of subformat ${readableType(createType)}; only monolithicSparse and streamOptimized are allowed.`);
    }
    let extents = 0;
    let strange = false;
    let elsewhere = false;
    let parent = false;
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || line.startsWith('ddb')) continue;
      const eq = line.indexOf('=');
      if (eq > 0 && !line.slice(0, eq).includes(' ')) {
        if (line.slice(0, eq).trim() === 'parentfilenamehint') parent = true;
        continue;
      }
      if (EXTENT_ACCESS.has(line.split(/\s+/)[0]!)) {
        extents++;
        if (line.includes('/') || line.includes('\\')) elsewhere = true;
        continue;
      }
      strange = true;
    }
    if (strange) this.issues.push('Image VMDK descriptor has lines that are not understood.');
    if (parent) this.issues.push('Image VMDK descriptor names a parent disk, which is not allowed.');
    if (elsewhere) this.issues.push('Image VMDK descriptor names extents in other directories, which is not allowed.');
    if (extents === 0) this.issues.push('Image VMDK descriptor names no extents.');
  }

  override virtualSize(): number | null {
    return this.capacity;
  }

  override conclude(end: StreamEnd): void {
    if (this.state !== 'match' || !this.footerExpected || !this.header) return;
    // The header says the real metadata is in a footer: it must be one, and agree with the header.
    const problem = this.footerProblem(end.tail);
    if (problem) this.issues.push(`Image VMDK footer is invalid: ${problem}.`);
  }

  private footerProblem(tail: Buffer): string | null {
    if (tail.length < VMDK_FOOTER_BYTES) return 'the file is too short';
    const t = tail.subarray(tail.length - VMDK_FOOTER_BYTES);
    const marker = t.subarray(0, 512);
    const footer = t.subarray(512, 1024);
    const eos = t.subarray(1024);
    const zeroPadded = (m: Buffer) => m.subarray(16).every((b) => b === 0);
    if (marker.readUInt32LE(8) !== 0 || marker.readUInt32LE(12) !== MARKER_FOOTER || !zeroPadded(marker)) return 'no footer marker';
    // An end-of-stream marker is all zeros (its type, MARKER_EOS, included).
    if (!eos.every((b) => b === MARKER_EOS)) return 'no end-of-stream marker';
    const h = this.header!;
    if (!footer.subarray(0, 8).equals(h.subarray(0, 8))) return 'it does not match the header';
    if (!footer.subarray(28, 44).equals(h.subarray(28, 44))) return 'it names another descriptor';
    if (footer.readBigUInt64LE(56) === GD_AT_END) return 'it points to yet another footer';
    return null;
  }
}
