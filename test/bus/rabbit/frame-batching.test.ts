/**
 * The messages a connection sends in one turn of amqplib's frame writer leave
 * in fewer socket writes than there are messages, and all arrive in order:
 * the batching (src/bus/rabbit/frame-batching.ts) still reaches into this
 * amqplib's connection as it expects.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import type { Writable } from 'node:stream';
import { batchFrameWrites } from '../../../src/bus/rabbit/frame-batching.js';
import { RABBIT_HOST, RABBIT_PORT, createTestVhost, rabbitSkipReason, type TestVhost } from '../broker.js';

const skip = await rabbitSkipReason();
const MESSAGES = 50;

describe('amqplib frame writes batched per turn of its writer', { skip }, () => {
  let vhost: TestVhost;
  before(async () => { vhost = await createTestVhost(); });
  after(async () => { await vhost?.remove(); });

  for (const batched of [true, false]) {
    test(`${MESSAGES} messages sent in one turn: ${batched ? 'fewer socket writes than messages' : 'one write each, unbatched'}; all delivered in order`, async () => {
      const conn = await amqp.connect({ protocol: 'amqp', hostname: RABBIT_HOST, port: RABBIT_PORT, username: 'guest', password: 'guest', vhost: vhost.name });
      try {
        if (batched) assert.equal(batchFrameWrites(conn), true, 'the connection is the shape the batching expects');
        const ch = await conn.createChannel();
        const { queue } = await ch.assertQueue('', { exclusive: true });
        const received: number[] = [];
        const all = new Promise<void>((resolve) => {
          void ch.consume(queue, (m) => {
            if (!m) return;
            received.push(Number(m.content.toString()));
            if (received.length === MESSAGES) resolve();
          }, { noAck: true });
        });
        // Counted at the socket amqplib writes to: one _write or _writev per system call.
        const socket = (conn as unknown as { connection: { stream: Writable & { _write: Function; _writev?: Function } } }).connection.stream;
        let writes = 0;
        for (const method of ['_write', '_writev'] as const) {
          const original = socket[method];
          if (typeof original !== 'function') continue;
          socket[method] = function (this: unknown, ...args: unknown[]) {
            writes++;
            return original.apply(this, args);
          };
        }
        for (let i = 0; i < MESSAGES; i++) ch.sendToQueue(queue, Buffer.from(String(i)));
        await all;
        assert.deepEqual(received, Array.from({ length: MESSAGES }, (_, i) => i));
        if (batched) assert.ok(writes < MESSAGES / 5, `${writes} socket writes for ${MESSAGES} messages`);
        else assert.ok(writes >= MESSAGES, `${writes} socket writes for ${MESSAGES} messages`);
      } finally {
        await conn.close();
      }
    });
  }
});
