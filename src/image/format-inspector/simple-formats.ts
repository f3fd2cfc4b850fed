/**
 * Formats recognised from one fixed header: VDI, ISO 9660/UDF, an MBR or GPT
 * partitioned disk, Parallels (Glance's "ploop"), and the ones QEMU would
 * probe but nothing here should ever run (QED, LUKS, Bochs, cloop).
 */
import { BannedFormatProbe, FormatProbe, TOO_LARGE, safeUint64 } from './probe.js';

/**
 * VirtualBox VDI, little-endian: 0x40 signature 0xbeda107f, 0x44 version,
 * 0x4c image type (1 dynamic, 2 fixed; 3 undo and 4 differencing name other
 * files), 0x170 disk size (u64).
 */
export class VdiProbe extends FormatProbe {
  readonly format = 'vdi' as const;
  private size: number | null = null;

  start(): this {
    this.want(0, 0x178, (h) => {
      this.decide(h.length >= 0x44 && h.readUInt32LE(0x40) === 0xbeda107f);
      if (this.state !== 'match') return;
      if (h.length < 0x178) return void this.issues.push('Image VDI header is incomplete.');
      if (h.readUInt32LE(0x44) !== 0x00010001) this.issues.push('Image is a VDI of an unsupported version.');
      const type = h.readUInt32LE(0x4c);
      if (type !== 1 && type !== 2) this.issues.push('Image is a differencing or undo VDI, which is not allowed.');
      this.size = safeUint64(h.readBigUInt64LE(0x170));
      if (this.size === null) this.issues.push(TOO_LARGE);
    });
    return this;
  }

  override virtualSize(): number | null {
    return this.size;
  }
}

const SECTOR = 2048;
const VOLUME_DESCRIPTORS = 16 * SECTOR;

/**
 * ISO 9660 keeps its volume descriptors from sector 16 (32 KiB) on; UDF puts a
 * volume recognition sequence there (BEA01, then NSR02 or NSR03). QEMU reads
 * an ISO as raw, so its virtual size is its size in bytes.
 */
export class IsoProbe extends FormatProbe {
  readonly format = 'iso' as const;

  start(): this {
    this.want(VOLUME_DESCRIPTORS, 3 * SECTOR, (d) => {
      const id = (sector: number) => d.subarray(sector * SECTOR + 1, sector * SECTOR + 6).toString('latin1');
      const udf = id(0) === 'BEA01' && [1, 2].some((s) => ['NSR02', 'NSR03'].includes(id(s)));
      this.decide(id(0) === 'CD001' || udf);
    });
    return this;
  }

  override virtualSize(totalBytes: number): number {
    return totalBytes;
  }
}

/**
 * A partitioned disk: the MBR's 0x55 0xAA signature at 510 (a GPT disk has a
 * protective MBR). A FAT boot sector carries the same signature, so it is
 * told apart by its BIOS parameter block, as Glance does. Such a disk is
 * "raw" to QEMU. Unlike Glance, the partition entries are not vetted: a raw
 * disk is never parsed by QEMU, a kernel's boot sector (aki) looks like an MBR
 * with nonsense entries, and random data would fail them one time in 65536.
 */
export class PartitionedDiskProbe extends FormatProbe {
  readonly format = 'gpt' as const;

  start(): this {
    this.want(0, 512, (s) => {
      const signed = s.length === 512 && s[510] === 0x55 && s[511] === 0xaa;
      const fatBootSector = s.length === 512 && s[0x10] === 2 && s[0x15] === 0xf8;
      this.decide(signed && !fatBootSector);
    });
    return this;
  }

  override virtualSize(totalBytes: number): number {
    return totalBytes;
  }
}

/** Parallels / Virtuozzo ploop: a 64-byte little-endian header, 36 nb_sectors (u64). */
export class PloopProbe extends FormatProbe {
  readonly format = 'ploop' as const;
  private size: number | null = null;
  private static readonly MAGIC = [Buffer.from('WithoutFreeSpace', 'ascii'), Buffer.from('WithouFreSpacExt', 'ascii')];

  start(): this {
    this.want(0, 64, (h) => {
      this.decide(h.length >= 16 && PloopProbe.MAGIC.some((m) => h.subarray(0, 16).equals(m)));
      if (this.state !== 'match') return;
      if (h.length < 64) return void this.issues.push('Image ploop header is incomplete.');
      this.size = safeUint64(h.readBigUInt64LE(36) * 512n);
      if (this.size === null) this.issues.push(TOO_LARGE);
    });
    return this;
  }

  override virtualSize(): number | null {
    return this.size;
  }
}

export class QedProbe extends BannedFormatProbe {
  readonly format = 'qed' as const;
  protected readonly magic = [Buffer.from('QED\0', 'latin1')];
  protected readonly reason = 'Image is in QED format, which is not allowed.';
}

export class LuksProbe extends BannedFormatProbe {
  readonly format = 'luks' as const;
  protected readonly magic = [Buffer.from([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe])];
  protected readonly reason = 'Image is LUKS encrypted, which is not supported.';
}

export class BochsProbe extends BannedFormatProbe {
  readonly format = 'bochs' as const;
  protected readonly magic = [Buffer.from('Bochs Virtual HD Image', 'latin1')];
  protected readonly reason = 'Image is in Bochs format, which is not allowed.';
}

export class CloopProbe extends BannedFormatProbe {
  readonly format = 'cloop' as const;
  protected readonly magic = [Buffer.from('#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n', 'latin1')];
  protected readonly reason = 'Image is in cloop format, which is not allowed.';
}
