/**
 * Does the content fit the disk_format it was declared with? Nova refuses a
 * mismatch at spawn and Glance at upload (require_image_format_match): it is
 * how a QCOW2 with a backing file hides as "raw" (OSSA-2024-002).
 *
 * What each declaration accepts:
 *  - raw and ami (a raw machine image): a plain or partitioned disk, or an ISO
 *    (Glance lets an ISO be uploaded as raw; QEMU reads both the same way);
 *  - aki and ari (kernel and ramdisk, not disks at all): any content except
 *    another disk image format (a kernel's boot sector does look like an MBR);
 *  - every other format: exactly that format.
 * Unsafe content is refused whatever it is declared as.
 */
import { ImageFormatMismatch, UnsafeImage, UnsupportedDiskFormat, type ImageUnacceptable } from './errors.js';
import type { InspectionResult } from './inspector.js';
import type { DetectedFormat } from './probe.js';

const RAW_LIKE: readonly DetectedFormat[] = ['raw', 'gpt', 'iso'];

const ACCEPTS: Readonly<Record<string, readonly DetectedFormat[]>> = {
  raw: RAW_LIKE,
  ami: RAW_LIKE,
  aki: RAW_LIKE,
  ari: RAW_LIKE,
  qcow2: ['qcow2'],
  vmdk: ['vmdk'],
  vhd: ['vhd'],
  vhdx: ['vhdx'],
  vdi: ['vdi'],
  iso: ['iso'],
  ploop: ['ploop'],
};

/** Containers whose data is the image itself; the others (ova, ovf, docker, compressed) wrap it in an archive. */
const BARE_CONTAINERS = new Set(['bare', 'ami', 'aki', 'ari']);

export interface DeclaredFormatOptions {
  /** The image's container_format; absent or null means the data is the image itself. */
  containerFormat?: string | null;
}

function isArchive(containerFormat: string | null | undefined): boolean {
  return containerFormat !== undefined && containerFormat !== null && !BARE_CONTAINERS.has(containerFormat);
}

/**
 * The error refusing `result` for `declared`, or null. `partial`: only the
 * start of the stream has been seen, so a fixed VHD (recognised by its
 * trailing footer) may still turn up.
 */
export function refusal(
  declared: string, result: InspectionResult, opts: DeclaredFormatOptions & { partial?: boolean } = {},
): ImageUnacceptable | null {
  if (result.safetyIssues.length > 0) return new UnsafeImage(result.safetyIssues);
  // An archive's bytes are not a disk image, so only its safety can be judged.
  if (isArchive(opts.containerFormat)) return null;
  const accepts = ACCEPTS[declared];
  if (!accepts) return new UnsupportedDiskFormat(declared);
  if (accepts.includes(result.format)) return null;
  if (opts.partial && declared === 'vhd' && (result.format === 'raw' || result.format === 'gpt')) return null;
  return new ImageFormatMismatch(declared, result.format);
}

/** Throws ImageFormatMismatch, UnsafeImage or UnsupportedDiskFormat when `result` may not be used as `declared`. */
export function checkDeclaredFormat(declared: string, result: InspectionResult, opts: DeclaredFormatOptions = {}): void {
  const error = refusal(declared, result, opts);
  if (error) throw error;
}

/**
 * The virtual_size to record for an accepted image: none for a kernel or
 * ramdisk (not disks) or for data inside an archive, as in Glance.
 */
export function recordedVirtualSize(declared: string, result: InspectionResult, opts: DeclaredFormatOptions = {}): number | null {
  if (isArchive(opts.containerFormat) || declared === 'aki' || declared === 'ari') return null;
  return result.virtualSize;
}
