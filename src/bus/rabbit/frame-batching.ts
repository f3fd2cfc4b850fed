/**
 * amqplib hands each message's frames to the socket as a write of its own:
 * under load, one system call per message sent, in the sender and again in
 * the broker's reads. Its writer already takes every message queued since its
 * last turn in one pass; corked around that pass, the socket sends them in
 * one writev.
 *
 * This reaches into amqplib's connection (its frame multiplexer, `muxer`,
 * whose `_readIncoming` is that pass), so it checks the shape first and
 * leaves a connection it does not recognise as it is: an amqplib that
 * changed only loses the batching. test/bus/rabbit/frame-batching.test.ts
 * fails if it no longer applies, so an upgrade cannot lose it unnoticed.
 */
import type { Writable } from 'node:stream';

interface FrameWriter {
  out: Writable;
  _readIncoming(): void;
}

function frameWriterOf(conn: unknown): FrameWriter | null {
  const muxer = (conn as { connection?: { muxer?: Partial<FrameWriter> } } | null)?.connection?.muxer;
  if (!muxer || typeof muxer._readIncoming !== 'function' || typeof muxer.out?.cork !== 'function') return null;
  return muxer as FrameWriter;
}

/** Whether the connection's writes are now batched per pass of its writer. */
export function batchFrameWrites(conn: unknown): boolean {
  const writer = frameWriterOf(conn);
  if (!writer) return false;
  const pass = writer._readIncoming;
  writer._readIncoming = function batchedPass(this: FrameWriter) {
    this.out.cork();
    try {
      pass.call(this);
    } finally {
      this.out.uncork();
    }
  };
  return true;
}
