/**
 * A send or listen made while the broker cannot be reached waits for it up to
 * [oslo_messaging_rabbit] send_timeout, then fails with a clear error; one made
 * while it comes back goes through. The broker is simulated by a local port
 * that refuses connections (and then a relay to RabbitMQ), never by stopping
 * the shared broker.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { RabbitTransport, RabbitUnavailable } from '../../../src/bus/rabbit/transport.js';
import { RABBIT_HOST, RABBIT_PORT, createRelay, createTestVhost, rabbitSkipReason, type TestVhost } from '../broker.js';

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  return (await createRelay()).port;
}

/** Listens on `topic`, runs `then`, and returns what arrived once the first message did (bounded). */
async function firstMessage(t: RabbitTransport, topic: string, then: () => Promise<unknown>): Promise<string[]> {
  const got: string[] = [];
  const sub = await t.listen(topic, (b) => void got.push(b));
  try {
    await then();
    const deadline = Date.now() + 10_000;
    while (got.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return got;
  } finally {
    await sub.close();
  }
}

const FAST = { retryIntervalMs: 50, retryBackoffMs: 50, intervalMaxMs: 200 };

describe('rabbit:// with the broker unreachable', () => {
  test('a send rejects with RabbitUnavailable once the bound has passed, naming the host but not the password', async () => {
    const port = await closedPort();
    const t = new RabbitTransport(`rabbit://guest:s3cr3t-pw@127.0.0.1:${port}/`, { ...FAST, sendTimeoutMs: 300 });
    try {
      await assert.rejects(t.send('compute.host-1', '{"method":"x"}'), (err: unknown) => {
        assert.ok(err instanceof RabbitUnavailable, String(err));
        assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
        assert.match(err.message, /gave up after waiting 300 ms/);
        assert.doesNotMatch(err.message, /s3cr3t-pw/);
        return true;
      });
      await assert.rejects(t.fanout('scheduler', 'x'), RabbitUnavailable);
      await assert.rejects(t.listen('conductor', () => undefined), RabbitUnavailable);
      assert.doesNotMatch(t.url, /s3cr3t-pw/);
    } finally {
      await t.close();
    }
  });

  test('close() ends waiting sends at once with a closed error', async () => {
    const t = new RabbitTransport(`rabbit://guest:guest@127.0.0.1:${await closedPort()}/`, { ...FAST, sendTimeoutMs: 60_000 });
    const pending = t.send('conductor', 'x');
    const rejected = assert.rejects(pending, /closed/);
    await t.close();
    await rejected;
  });
});

describe('rabbit:// when the broker comes back', async () => {
  const skip = await rabbitSkipReason();
  let vhost: TestVhost | undefined;
  after(async () => { await vhost?.remove(); });

  test('a send made while it is down is delivered once it answers within the bound', { skip }, async () => {
    vhost = await createTestVhost();
    const relay = await createRelay();
    const t = new RabbitTransport(`rabbit://guest:guest@127.0.0.1:${relay.port}/${vhost.name}`, { ...FAST, sendTimeoutMs: 20_000 });
    try {
      let settled = false;
      const sent = t.send('waiting-topic', 'queued while down').finally(() => { settled = true; });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(settled, false, 'the send did not wait for the broker');
      await relay.open();
      await sent;
      assert.deepEqual(await firstMessage(t, 'waiting-topic', async () => undefined), ['queued while down']);
    } finally {
      await t.close();
      await relay.close();
    }
  });

  test('the first reachable host of several is used', { skip }, async () => {
    vhost ??= await createTestVhost();
    const dead = await closedPort();
    const t = new RabbitTransport(`rabbit://guest:guest@127.0.0.1:${dead},guest:guest@${RABBIT_HOST}:${RABBIT_PORT}/${vhost.name}`, FAST);
    try {
      assert.deepEqual(await firstMessage(t, 'multi-host', () => t.send('multi-host', 'via the second host')), ['via the second host']);
    } finally {
      await t.close();
    }
  });
});
