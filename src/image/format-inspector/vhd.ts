/**
 * Microsoft's VHD ("vpc" in QEMU) and VHDX.
 *
 * VHD keeps a big-endian 512-byte footer at the end of the file, and dynamic
 * disks a copy of it at offset 0:  0 cookie 'conectix', 48 current size (u64),
 * 60 disk type (2 fixed, 3 dynamic, 4 differencing). A differencing disk names
 * its parent file, so it is refused. A fixed disk is raw data with only the
 * trailing footer; the inspector looks for that one at the end of the stream
 * (see parseVhdFooter).
 *
 * VHDX starts with 'vhdxfile'; the virtual size and the "has parent" flag sit
 * in metadata items found through the region table at 192 KiB, all
 * little-endian and identified by GUIDs (MS-VHDX 2.2 and 2.6).
 */
import { FormatProbe, TOO_LARGE, safeUint64 } from './probe.js';

const VHD_COOKIE = Buffer.from('conectix', 'ascii');
export const VHD_FOOTER_BYTES = 512;
const VHD_FIXED = 2;
const VHD_DYNAMIC = 3;
const VHD_DIFFERENCING = 4;

export interface VhdFooter {
  diskType: number;
  virtualSize: number | null;
}

/** The footer fields that matter, or null when `sector` is not a VHD footer. */
export function parseVhdFooter(sector: Buffer): VhdFooter | null {
  if (sector.length < VHD_FOOTER_BYTES || !sector.subarray(0, 8).equals(VHD_COOKIE)) return null;
  return { diskType: sector.readUInt32BE(60), virtualSize: safeUint64(sector.readBigUInt64BE(48)) };
}

/** The issues of a VHD footer, whichever end of the file it came from. */
export function vhdFooterIssues(footer: VhdFooter, expectFixed: boolean): string[] {
  const issues: string[] = [];
  if (footer.diskType === VHD_DIFFERENCING) {
    issues.push('Image is a differencing VHD, which refers to a parent disk; that is not allowed.');
  } else if (footer.diskType !== (expectFixed ? VHD_FIXED : VHD_DYNAMIC) && footer.diskType !== VHD_FIXED) {
    issues.push('Image is a VHD of an unsupported disk type.');
  }
  if (footer.virtualSize === null) issues.push(TOO_LARGE);
  return issues;
}

export class VhdProbe extends FormatProbe {
  readonly format = 'vhd' as const;
  private size: number | null = null;

  start(): this {
    this.want(0, VHD_FOOTER_BYTES, (head) => {
      const footer = parseVhdFooter(head);
      this.decide(footer !== null);
      if (!footer) return;
      this.size = footer.virtualSize;
      this.issues.push(...vhdFooterIssues(footer, false));
    });
    return this;
  }

  override virtualSize(): number | null {
    return this.size;
  }
}

function guidBytes(guid: string): Buffer {
  const hex = guid.replace(/-/g, '');
  const b = Buffer.from(hex, 'hex');
  // The first three GUID fields are stored little-endian.
  return Buffer.concat([Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(),
    Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8)]);
}

const VHDX_SIGNATURE = Buffer.from('vhdxfile', 'ascii');
const REGION_TABLE_OFFSET = 192 * 1024;
const REGION_TABLE_SIGNATURE = 0x69676572; // 'regi'
const MAX_ENTRIES = 2047;
const METADATA_REGION = guidBytes('8B7CA206-4790-4B9A-B8FE-575F050F886E');
const METADATA_SIGNATURE = Buffer.from('metadata', 'ascii');
const METADATA_TABLE_MAX = 64 * 1024;
const VIRTUAL_DISK_SIZE = guidBytes('2FA54224-CD1B-4876-B211-5DBED83BF4B8');
const FILE_PARAMETERS = guidBytes('CAA16737-FA36-4D43-B3B6-33F0AA44E76B');
const HAS_PARENT = 0x2;
const STRUCTURE = 'Image VHDX metadata could not be read.';

export class VhdxProbe extends FormatProbe {
  readonly format = 'vhdx' as const;
  private size: number | null = null;

  start(): this {
    this.want(0, VHDX_SIGNATURE.length, (head) => {
      this.decide(head.equals(VHDX_SIGNATURE));
      if (this.state === 'match') {
        this.want(REGION_TABLE_OFFSET, 16 + MAX_ENTRIES * 32, (table) => this.readRegionTable(table));
      }
    });
    return this;
  }

  private readRegionTable(t: Buffer): void {
    if (t.length < 16 || t.readUInt32LE(0) !== REGION_TABLE_SIGNATURE) return void this.issues.push(STRUCTURE);
    const count = t.readUInt32LE(8);
    if (count > MAX_ENTRIES || t.length < 16 + count * 32) return void this.issues.push(STRUCTURE);
    for (let i = 0; i < count; i++) {
      const entry = t.subarray(16 + i * 32, 48 + i * 32);
      if (!entry.subarray(0, 16).equals(METADATA_REGION)) continue;
      const offset = safeUint64(entry.readBigUInt64LE(16));
      const length = entry.readUInt32LE(24);
      if (offset === null || offset < REGION_TABLE_OFFSET) return void this.issues.push(STRUCTURE);
      this.want(offset, Math.min(length, METADATA_TABLE_MAX), (meta) => this.readMetadataTable(offset, meta));
      return;
    }
    this.issues.push(STRUCTURE);
  }

  private readMetadataTable(regionOffset: number, m: Buffer): void {
    if (m.length < 32 || !m.subarray(0, 8).equals(METADATA_SIGNATURE)) return void this.issues.push(STRUCTURE);
    const count = m.readUInt16LE(10);
    if (count > MAX_ENTRIES || m.length < 32 + count * 32) return void this.issues.push(STRUCTURE);
    let sawParameters = false;
    for (let i = 0; i < count; i++) {
      const entry = m.subarray(32 + i * 32, 64 + i * 32);
      const id = entry.subarray(0, 16);
      const at = regionOffset + entry.readUInt32LE(16);
      if (id.equals(VIRTUAL_DISK_SIZE)) {
        this.want(at, 8, (v) => {
          if (v.length < 8) return void this.issues.push(STRUCTURE);
          this.size = safeUint64(v.readBigUInt64LE(0));
          if (this.size === null) this.issues.push(TOO_LARGE);
        });
      } else if (id.equals(FILE_PARAMETERS)) {
        sawParameters = true;
        this.want(at, 8, (v) => {
          if (v.length < 8) return void this.issues.push(STRUCTURE);
          if (v.readUInt32LE(4) & HAS_PARENT) {
            this.issues.push('Image is a differencing VHDX, which refers to a parent disk; that is not allowed.');
          }
        });
      }
    }
    if (!sawParameters) this.issues.push(STRUCTURE);
  }

  override virtualSize(): number | null {
    return this.size;
  }
}
