/**
 * QCOW2 (docs/interop/qcow2.txt in QEMU). Everything that matters is in the
 * big-endian header at offset 0:
 *
 *   0  magic 'QFI\xfb'            4  version (2 or 3)
 *   8  backing_file_offset (u64)  24 size: the virtual disk size (u64)
 *  72  incompatible_features (u64, version 3 only)
 * 100  header_length (u32, version 3 only; at least 104)
 *
 * A backing file (OSSA-2024-002) or an external data file (OSSA-2024-001)
 * makes QEMU open another host file by name when it opens the image, so
 * either is refused; so is any incompatible feature bit this code does not
 * know, since QEMU would give it a meaning we never checked.
 */
import { FormatProbe, TOO_LARGE, safeUint64 } from './probe.js';

const MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]);
const V2_HEADER = 72;
const V3_HEADER = 104;

/** Incompatible feature bits (qcow2.txt): 0 dirty, 1 corrupt, 2 external data file, 3 compression type, 4 extended L2. */
const DATA_FILE_BIT = 2n;
const KNOWN_INCOMPATIBLE = 0b11111n;

export class Qcow2Probe extends FormatProbe {
  readonly format = 'qcow2' as const;
  private size: number | null = null;

  start(): this {
    this.want(0, V3_HEADER, (header) => this.parse(header));
    return this;
  }

  private parse(h: Buffer): void {
    this.decide(h.length >= MAGIC.length && h.subarray(0, MAGIC.length).equals(MAGIC));
    if (this.state !== 'match') return;
    if (h.length < 32) {
      this.issues.push('Image qcow2 header is incomplete.');
      return;
    }
    const version = h.readUInt32BE(4);
    if (version !== 2 && version !== 3) {
      // Version 1 is QEMU's old "qcow" format, with its own backing file rules.
      this.issues.push(`Image is qcow version ${version > 99 ? 'unknown' : version}, which is not supported.`);
      return;
    }
    if (h.length < (version === 2 ? V2_HEADER : V3_HEADER)) {
      this.issues.push('Image qcow2 header is incomplete.');
      return;
    }
    if (h.readBigUInt64BE(8) !== 0n) this.issues.push('Image has a backing file, which is not allowed.');
    this.size = safeUint64(h.readBigUInt64BE(24));
    if (this.size === null) this.issues.push(TOO_LARGE);
    if (version === 3) {
      const incompatible = h.readBigUInt64BE(72);
      if (incompatible & (1n << DATA_FILE_BIT)) this.issues.push('Image has an external data file, which is not allowed.');
      if (incompatible & ~KNOWN_INCOMPATIBLE) this.issues.push('Image uses qcow2 features that are not supported.');
      if (h.readUInt32BE(100) < V3_HEADER) this.issues.push('Image qcow2 header is incomplete.');
    }
  }

  override virtualSize(): number | null {
    return this.size;
  }
}
