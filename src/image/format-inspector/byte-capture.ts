/**
 * Picks the few byte ranges the format probes ask for out of a stream that is
 * only ever seen once, front to back: headers, a descriptor found through a
 * header, the last bytes of the file. Everything else passes by untouched, so
 * inspecting a multi-gigabyte upload holds a few kilobytes.
 */

/** Called once per capture: with all `length` bytes, or fewer when the stream ended (or had moved past) first. */
export type CaptureDone = (data: Buffer) => void;

interface PendingCapture {
  readonly offset: number;
  readonly length: number;
  readonly parts: Buffer[];
  filled: number;
  readonly done: CaptureDone;
  cancelled: boolean;
}

export interface CaptureHandle {
  cancel(): void;
}

export class ByteCapture {
  private pending: PendingCapture[] = [];
  private tailBytes = Buffer.alloc(0);
  private ended = false;
  private draining = false;
  /** Bytes seen (or skipped) so far: the offset of the next chunk. */
  position = 0;

  /** @param tailLength how many of the last bytes of the stream to keep (footers). */
  constructor(private readonly tailLength: number) {}

  /**
   * Ask for `length` bytes at `offset`. A range that begins before the current
   * position can only be served from the chunk being processed; otherwise it
   * completes short, as at the end of the stream.
   */
  capture(offset: number, length: number, done: CaptureDone): CaptureHandle {
    const entry: PendingCapture = { offset, length: Math.max(0, length), parts: [], filled: 0, done, cancelled: false };
    this.pending.push(entry);
    if (this.ended && !this.draining) this.drain();
    // Only flagged here: feed() may be iterating the list; cancelled entries are dropped as they are met.
    return { cancel: () => { entry.cancelled = true; } };
  }

  /** The smallest offset still wanted by a capture, Infinity when only the tail is. */
  nextWantedOffset(): number {
    let next = Infinity;
    for (const p of this.pending) if (!p.cancelled) next = Math.min(next, p.offset + p.filled);
    return next;
  }

  get tailLengthWanted(): number {
    return this.tailLength;
  }

  feed(chunk: Buffer): void {
    if (this.ended) throw new Error('ByteCapture: data after the end of the stream');
    const start = this.position;
    const end = start + chunk.length;
    this.position = end;
    this.keepTail(chunk);
    // Completing a capture may add new ones (a header names its descriptor),
    // which may lie in this very chunk: keep going until a pass adds nothing.
    for (let i = 0; i < this.pending.length;) {
      const p = this.pending[i]!;
      if (p.cancelled) { this.pending.splice(i, 1); continue; }
      const need = p.offset + p.filled;
      if (need >= end) { i++; continue; }
      if (need < start) {
        this.settle(i, p);
        continue;
      }
      const stop = Math.min(end, p.offset + p.length);
      const piece = Buffer.from(chunk.subarray(need - start, stop - start));
      p.parts.push(piece);
      p.filled += piece.length;
      if (p.filled >= p.length) this.settle(i, p);
      else i++;
    }
  }

  /**
   * Move forward without data (random access readers jump over what no
   * capture wants). Captures in the skipped range complete short.
   */
  skipTo(offset: number): void {
    if (offset <= this.position) return;
    this.position = offset;
    this.tailBytes = Buffer.alloc(0);
    for (let i = 0; i < this.pending.length;) {
      const p = this.pending[i]!;
      if (p.cancelled) this.pending.splice(i, 1);
      else if (p.offset + p.filled < offset) this.settle(i, p);
      else i++;
    }
  }

  /** The stream is over: every open capture completes with what it has. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.drain();
  }

  private drain(): void {
    // Callbacks run here may ask for more; those complete short at once too.
    this.draining = true;
    try {
      while (this.pending.length > 0) this.settle(0, this.pending[0]!);
    } finally {
      this.draining = false;
    }
  }

  /** The last bytes of the stream (fewer when it was shorter, or when they were skipped). */
  tail(): Buffer {
    return this.tailBytes;
  }

  private settle(index: number, p: PendingCapture): void {
    this.pending.splice(index, 1);
    if (p.cancelled) return;
    p.done(p.parts.length === 1 ? p.parts[0]! : Buffer.concat(p.parts));
  }

  private keepTail(chunk: Buffer): void {
    const n = this.tailLength;
    if (n === 0) return;
    if (chunk.length >= n) {
      this.tailBytes = Buffer.from(chunk.subarray(chunk.length - n));
    } else {
      const joined = Buffer.concat([this.tailBytes, chunk]);
      this.tailBytes = joined.length > n ? Buffer.from(joined.subarray(joined.length - n)) : joined;
    }
  }
}
