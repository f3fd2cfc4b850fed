/**
 * FormatInspector: tells what an image file really is, as its bytes stream
 * past once, by running every format probe side by side (Glance's
 * InspectWrapper). Only the bytes the probes ask for are kept.
 *
 * Content that two formats claim is refused, since it is how one header hides
 * behind another; the one legitimate overlap is a hybrid ISO, whose MBR makes
 * it look partitioned too, and it counts as an ISO. A fixed VHD is raw data
 * with a VHD footer: it is recognised at the end of the stream, when the
 * start looked like a plain (perhaps partitioned) disk.
 */
import fs from 'node:fs';
import { ByteCapture } from './byte-capture.js';
import { refusal } from './declared.js';
import type { DetectedFormat, FormatProbe } from './probe.js';
import { Qcow2Probe } from './qcow2.js';
import {
  BochsProbe, CloopProbe, IsoProbe, LuksProbe, PartitionedDiskProbe, PloopProbe, QedProbe, VdiProbe,
} from './simple-formats.js';
import { VHD_FOOTER_BYTES, VhdProbe, VhdxProbe, parseVhdFooter, vhdFooterIssues } from './vhd.js';
import { VMDK_FOOTER_BYTES, VmdkProbe } from './vmdk.js';

export interface InspectionResult {
  format: DetectedFormat;
  /** The disk size a guest would see, in bytes; null when the format does not say (or cannot be trusted). */
  virtualSize: number | null;
  /** Bytes in the file. */
  size: number;
  /** Why the image must not be used, in words fit for an API user; empty when it is safe. */
  safetyIssues: string[];
}

export interface FormatInspectorOptions {
  /**
   * The declared disk_format. With it, feed() throws the ImageUnacceptable
   * error as soon as the bytes seen make a refusal certain (so a bad upload
   * stops early), and finish() throws when the whole stream is refused.
   */
  expectedFormat?: string;
  /** The container_format: when it is an archive (ova, docker, ...) only safety is checked. */
  containerFormat?: string | null;
}

const TAIL_BYTES = Math.max(VHD_FOOTER_BYTES, VMDK_FOOTER_BYTES);

export class FormatInspector {
  private readonly bytes = new ByteCapture(TAIL_BYTES);
  private readonly probes: FormatProbe[];
  private earlyChecked = false;
  private result: InspectionResult | null = null;

  constructor(private readonly opts: FormatInspectorOptions = {}) {
    const b = this.bytes;
    // Order matters only for naming the format when several match (then the image is refused anyway).
    this.probes = [
      new Qcow2Probe(b), new QedProbe(b), new VmdkProbe(b), new VhdProbe(b), new VhdxProbe(b), new VdiProbe(b),
      new LuksProbe(b), new PloopProbe(b), new BochsProbe(b), new CloopProbe(b), new IsoProbe(b), new PartitionedDiskProbe(b),
    ];
    for (const probe of this.probes) probe.start();
  }

  /** Bytes fed (or skipped) so far. */
  get position(): number {
    return this.bytes.position;
  }

  feed(chunk: Uint8Array): void {
    if (this.result) throw new Error('FormatInspector: data after finish()');
    if (chunk.length === 0) return;
    this.bytes.feed(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    if (this.opts.expectedFormat !== undefined && !this.earlyChecked && this.probes.every((p) => p.settled)) {
      // Everything the start of the file can tell is known: refuse now rather than after the last byte.
      this.earlyChecked = true;
      const error = refusal(this.opts.expectedFormat, this.combine(null), { containerFormat: this.opts.containerFormat, partial: true });
      if (error) throw error;
    }
  }

  /** The stream is complete: the verdict. Throws (see expectedFormat) when the image is refused. */
  finish(): InspectionResult {
    if (!this.result) {
      this.bytes.end();
      const end = { totalBytes: this.bytes.position, tail: this.bytes.tail() };
      for (const probe of this.probes) if (probe.state === 'match') probe.conclude(end);
      this.result = this.combine(end.tail);
    }
    if (this.opts.expectedFormat !== undefined) {
      const error = refusal(this.opts.expectedFormat, this.result, { containerFormat: this.opts.containerFormat, partial: false });
      if (error) throw error;
    }
    return this.result;
  }

  /** Where the next byte any probe wants lies (for readers that can seek); Infinity when only the tail is left. */
  nextWantedOffset(): number {
    return this.bytes.nextWantedOffset();
  }

  /** Jump ahead without data; only past bytes no probe wants (see nextWantedOffset). */
  skipTo(offset: number): void {
    this.bytes.skipTo(Math.min(offset, this.bytes.nextWantedOffset()));
  }

  get tailBytesWanted(): number {
    return TAIL_BYTES;
  }

  /** The verdict from what has been seen; `tail` null while the end is not known yet. */
  private combine(tail: Buffer | null): InspectionResult {
    const totalBytes = this.bytes.position;
    let matches = this.probes.filter((p) => p.state === 'match');
    if (matches.length === 2 && matches.some((p) => p.format === 'iso') && matches.some((p) => p.format === 'gpt')) {
      matches = matches.filter((p) => p.format === 'iso');
    }
    const issues = matches.flatMap((p) => p.issues);
    if (tail && matches.every((p) => p.format === 'gpt') && totalBytes >= 2 * VHD_FOOTER_BYTES) {
      const footer = parseVhdFooter(tail.subarray(tail.length - VHD_FOOTER_BYTES));
      if (footer) {
        return { format: 'vhd', virtualSize: footer.virtualSize, size: totalBytes, safetyIssues: vhdFooterIssues(footer, true) };
      }
    }
    if (matches.length > 1) {
      issues.push(`Image data matches more than one disk format (${matches.map((p) => p.format).join(', ')}), which is not allowed.`);
    }
    const primary = matches[0];
    return {
      format: primary?.format ?? 'raw',
      virtualSize: primary ? primary.virtualSize(totalBytes) : totalBytes,
      size: totalBytes,
      safetyIssues: issues,
    };
  }
}

const READ_BYTES = 64 * 1024;

/**
 * Inspect a file on disk. It reads only what the probes want (the first tens
 * of kilobytes, what headers point to, the last sectors), so a large image
 * costs a few reads.
 */
export async function inspectImageFile(path: string): Promise<InspectionResult> {
  return inspectFile(path, new FormatInspector());
}

async function inspectFile(path: string, inspector: FormatInspector): Promise<InspectionResult> {
  const handle = await fs.promises.open(path, 'r');
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    while (inspector.position < size) {
      const wanted = inspector.nextWantedOffset();
      // Nothing more wanted ahead: jump to the tail.
      const target = wanted === Infinity ? Math.max(inspector.position, size - inspector.tailBytesWanted) : wanted;
      if (target > inspector.position) inspector.skipTo(Math.min(target, size));
      if (inspector.position >= size) break;
      const { bytesRead } = await handle.read(buffer, 0, Math.min(READ_BYTES, size - inspector.position), inspector.position);
      if (bytesRead === 0) break;
      // The inspector copies what it keeps, so the buffer can be reused.
      inspector.feed(buffer.subarray(0, bytesRead));
    }
    return inspector.finish();
  } finally {
    await handle.close();
  }
}

/**
 * The spawn-time check (Nova's deep inspection) on a downloaded image file:
 * its content must be safe and be what `declaredFormat` says. Returns what
 * was found; throws ImageFormatMismatch, UnsafeImage or UnsupportedDiskFormat.
 */
export async function verifyImageFile(path: string, declaredFormat: string): Promise<InspectionResult> {
  return inspectFile(path, new FormatInspector({ expectedFormat: declaredFormat }));
}
