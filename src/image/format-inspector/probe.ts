/**
 * What every format probe shares: it asks the ByteCapture for the bytes its
 * format keeps at fixed places, decides from them whether the stream is that
 * format, and collects the reasons (if any) the image must not be used.
 */
import type { ByteCapture, CaptureDone, CaptureHandle } from './byte-capture.js';

/** Formats the inspector recognises; the names are Glance's disk_format values where one exists. */
export type DetectedFormat =
  | 'raw' | 'qcow2' | 'qed' | 'vmdk' | 'vhd' | 'vhdx' | 'vdi' | 'iso' | 'gpt' | 'luks' | 'ploop' | 'bochs' | 'cloop';

export type ProbeState = 'pending' | 'match' | 'nomatch';

/** What a probe gets once the stream is over. */
export interface StreamEnd {
  totalBytes: number;
  /** The last bytes of the stream (up to the inspector's tail length). */
  tail: Buffer;
}

export abstract class FormatProbe {
  abstract readonly format: DetectedFormat;
  state: ProbeState = 'pending';
  readonly issues: string[] = [];
  private outstanding = 0;

  constructor(protected readonly bytes: ByteCapture) {}

  /** Ask for the bytes this format needs; called once, before any data. */
  abstract start(): this;

  /** Decided, and no longer waiting for bytes that could add an issue. */
  get settled(): boolean {
    return this.state !== 'pending' && this.outstanding === 0;
  }

  /** The disk size a guest would see, when this format records one (null when unknown). */
  virtualSize(_totalBytes: number): number | null {
    return null;
  }

  /** The stream ended: checks that need its last bytes. */
  conclude(_end: StreamEnd): void {}

  protected want(offset: number, length: number, done: CaptureDone): CaptureHandle {
    this.outstanding++;
    let open = true;
    const handle = this.bytes.capture(offset, length, (data) => {
      open = false;
      this.outstanding--;
      done(data);
    });
    return {
      cancel: () => {
        if (!open) return;
        open = false;
        this.outstanding--;
        handle.cancel();
      },
    };
  }

  protected decide(matches: boolean): void {
    this.state = matches ? 'match' : 'nomatch';
  }
}

/** A probe for formats that are recognised by a magic string at offset 0 and never allowed. */
export abstract class BannedFormatProbe extends FormatProbe {
  protected abstract readonly magic: readonly Buffer[];
  protected abstract readonly reason: string;

  override start(): this {
    const longest = Math.max(...this.magic.map((m) => m.length));
    this.want(0, longest, (head) => {
      const found = this.magic.some((m) => head.length >= m.length && head.subarray(0, m.length).equals(m));
      this.decide(found);
      if (found) this.issues.push(this.reason);
    });
    return this;
  }
}

/** A uint64 field as a number, or null when it does not fit one exactly. */
export function safeUint64(value: bigint): number | null {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : null;
}

export const TOO_LARGE = 'Image declares a virtual size too large to be real.';
