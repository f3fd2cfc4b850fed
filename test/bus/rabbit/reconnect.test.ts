/**
 * The broker drops every connection (rabbitmqctl close_all_connections, for
 * this test's virtual host only) in the middle of a stream of casts. Every
 * cast whose send resolved (the broker confirmed it) is delivered at least
 * once: a message whose handler had finished but whose ack was lost with the
 * connection may come twice, never zero times. Sends that rejected were
 * reported to their caller. Afterwards both sides work again: consumers,
 * fanout listeners and the RPC reply queue were declared anew.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { RabbitTransport } from '../../../src/bus/rabbit/transport.js';
import { RpcClient, RpcServer } from '../../../src/bus/rpc.js';
import { internalContext } from '../../../src/bus/context.js';
import { testLogger } from '../../helpers/logger.js';
import { createRelay, createTestVhost, rabbitmqctl, rabbitSkipReason, type TestVhost } from '../broker.js';

const skip = await rabbitSkipReason();

async function waitUntil(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`waited ${ms} ms for ${what}`);
    await sleep(5);
  }
}

/** Log lines of a transport, to see that it really lost and re-opened its connection. */
function recordingLogger() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  return { lines, logger: pino({ level: 'info' }, stream) };
}


interface StreamResult {
  confirmed: Set<string>;
  failed: string[];
  /** Index of the next cast when the connections were dropped. */
  droppedAt: number;
  total: number;
}

/** 600 casts from 4 concurrent senders; `drop` runs once 100 are confirmed. */
async function castStream(sender: RabbitTransport, topic: string, drop: () => Promise<unknown>): Promise<StreamResult> {
  const confirmed = new Set<string>();
  const failed: string[] = [];
  const total = 600;
  let next = 0;
  async function worker(): Promise<void> {
    while (next < total) {
      const body = `cast-${next++}`;
      try {
        await sender.send(topic, body);
        confirmed.add(body);
      } catch {
        failed.push(body);
      }
    }
  }
  const workers = Array.from({ length: 4 }, () => worker());
  await waitUntil(() => confirmed.size >= 100, '100 confirmed casts');
  const droppedAt = next;
  await drop();
  await Promise.all(workers);
  return { confirmed, failed, droppedAt, total };
}

/** Every confirmed cast arrived; nothing arrived that was not sent. Returns how many came twice. */
async function assertNoConfirmedCastLost(r: StreamResult, deliveries: Map<string, number>): Promise<number> {
  await waitUntil(() => [...r.confirmed].every((b) => deliveries.has(b)), 'every confirmed cast to be delivered');
  const unknown = [...deliveries.keys()].filter((b) => !r.confirmed.has(b) && !r.failed.includes(b));
  assert.deepEqual(unknown, [], 'something was delivered that nobody sent');
  assert.equal(r.failed.length + r.confirmed.size, r.total);
  assert.ok([...r.confirmed].some((b) => Number(b.slice(5)) > r.droppedAt), 'casts were confirmed after the reconnection');
  return [...deliveries.values()].filter((n) => n > 1).length;
}

describe('rabbit:// when the broker closes every connection under load', { skip }, () => {
  let vhost: TestVhost;
  before(async () => { vhost = await createTestVhost(); });
  after(async () => { await vhost?.remove(); });

  test('every confirmed cast is delivered at least once, and both sides work again afterwards', async (t) => {
    const fast = { retryIntervalMs: 100, retryBackoffMs: 100, intervalMaxMs: 500, sendTimeoutMs: 20_000 };
    const senderLog = recordingLogger();
    const receiverLog = recordingLogger();
    const sender = new RabbitTransport(vhost.url, { ...fast, logger: senderLog.logger });
    const receiver = new RabbitTransport(vhost.url, { ...fast, logger: receiverLog.logger });
    const rpc = new RpcClient(sender, 10_000);
    const server = new RpcServer(receiver, 'reconnect.svc', { ping: () => 'pong' }, testLogger);
    try {
      const deliveries = new Map<string, number>();
      const sub = await receiver.listen('reconnect.casts', async (body) => {
        deliveries.set(body, (deliveries.get(body) ?? 0) + 1);
        await new Promise((r) => setImmediate(r)); // the ack waits for the handler: let some be in flight
      });
      const fanned: string[] = [];
      const fanSub = await receiver.listenFanout('reconnect.fan', (b) => void fanned.push(b));
      await server.start();
      assert.equal(await rpc.call(internalContext('req-before'), 'reconnect.svc', 'ping', {}), 'pong');

      const { confirmed, failed, droppedAt, total } = await castStream(sender, 'reconnect.casts',
        () => rabbitmqctl('close_all_connections', '--vhost', vhost.name, 'kilonova reconnection test'));

      await waitUntil(() => senderLog.lines.some((l) => l.includes('reconnected to RabbitMQ')), 'the sender to reconnect');
      await waitUntil(() => receiverLog.lines.some((l) => l.includes('reconnected to RabbitMQ')), 'the receiver to reconnect');
      const duplicates = await assertNoConfirmedCastLost({ confirmed, failed, droppedAt, total }, deliveries);
      t.diagnostic(`${confirmed.size} confirmed, ${failed.length} rejected (reported to the sender), ${duplicates} delivered twice`);

      // The reply queue, the topic consumer and the fanout queue were all declared again.
      assert.equal(await rpc.call(internalContext('req-after'), 'reconnect.svc', 'ping', {}), 'pong');
      await sender.fanout('reconnect.fan', 'after');
      await waitUntil(() => fanned.includes('after'), 'the fanout listener to be back');
      await sub.close();
      await fanSub.close();
    } finally {
      await rpc.close();
      await server.stop();
      await sender.close();
      await receiver.close();
    }
  });

  test('a network cut mid-stream: confirmed casts arrive, unconfirmed ones are reported to the sender', async (t) => {
    const relay = await createRelay();
    await relay.open();
    const url = `rabbit://guest:guest@127.0.0.1:${relay.port}/${vhost.name}`;
    const fast = { retryIntervalMs: 100, retryBackoffMs: 100, intervalMaxMs: 500, sendTimeoutMs: 20_000 };
    const sender = new RabbitTransport(url, fast);
    const receiver = new RabbitTransport(url, fast);
    try {
      const deliveries = new Map<string, number>();
      const sub = await receiver.listen('reconnect.cut', async (body) => {
        deliveries.set(body, (deliveries.get(body) ?? 0) + 1);
        await new Promise((r) => setImmediate(r));
      });
      const r = await castStream(sender, 'reconnect.cut', async () => relay.cutAll());
      const duplicates = await assertNoConfirmedCastLost(r, deliveries);
      t.diagnostic(`${r.confirmed.size} confirmed, ${r.failed.length} rejected (reported to the sender), ${duplicates} delivered twice`);
      await sub.close();
    } finally {
      await sender.close();
      await receiver.close();
      await relay.close();
    }
  });

  test('a message whose handler had not finished when the connection dropped is delivered again', async () => {
    const relay = await createRelay();
    await relay.open();
    const t = new RabbitTransport(`rabbit://guest:guest@127.0.0.1:${relay.port}/${vhost.name}`, { retryIntervalMs: 100, retryBackoffMs: 100, intervalMaxMs: 500 });
    try {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const got: string[] = [];
      const sub = await t.listen('reconnect.held', (b) => {
        got.push(b);
        return got.length === 1 ? gate : undefined; // the first delivery is still being handled at the cut
      });
      await t.send('reconnect.held', 'held');
      await waitUntil(() => got.length === 1, 'the first delivery');
      relay.cutAll();
      await waitUntil(() => got.length === 2, 'the redelivery after reconnecting');
      assert.deepEqual(got, ['held', 'held']);
      release();
      await sub.close();
    } finally {
      await t.close();
      await relay.close();
    }
  });
});
