/**
 * The bus Transport contract, run against every implementation
 * (transports-under-test.ts); a new transport adds an entry there and the
 * tests never change. Every test uses topics of its own, and waits are
 * bounded polls, never a guess at how long delivery takes.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageHandler, Transport } from '../../src/bus/transport.js';
import { transportsUnderTest } from './transports-under-test.js';

const IMPLEMENTATIONS = await transportsUnderTest();

/** Longest a message that must arrive is given to arrive. */
const ARRIVAL_MS = 5000;

function topic(label: string): string {
  return `contract.${label}.${randomUUID()}`;
}

/** A handler that records what it receives, and a bounded wait for a count. */
function collector(onMessage?: (body: string) => void | Promise<void>) {
  const received: string[] = [];
  const handler: MessageHandler = (body) => {
    received.push(body);
    return onMessage?.(body);
  };
  async function waitFor(count: number, ms = ARRIVAL_MS): Promise<void> {
    const deadline = Date.now() + ms;
    while (received.length < count) {
      if (Date.now() > deadline) assert.fail(`waited ${ms} ms for ${count} messages, got ${received.length}`);
      await sleep(2);
    }
  }
  return { received, handler, waitFor };
}

async function waitUntil(cond: () => boolean, what: string, ms = ARRIVAL_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`waited ${ms} ms for ${what}`);
    await sleep(2);
  }
}

for (const impl of IMPLEMENTATIONS) {
  describe(`Transport contract: ${impl.name}`, { skip: impl.skip }, () => {
    let t: Transport;
    const quiet = () => sleep(impl.quietMs);
    before(async () => {
      await impl.setup();
      t = await impl.open();
    });
    after(async () => {
      await t?.close();
      await impl.teardown();
    });

    test('has the URL it was opened with', () => {
      assert.equal(typeof t.url, 'string');
      assert.match(t.url, /^[a-z]+:/);
    });

    describe('competing consumers (listen/send)', () => {
      test('each message reaches exactly one of several listeners', async () => {
        const q = topic('compete');
        const a = collector();
        const b = collector();
        const c = collector();
        const subs = [await t.listen(q, a.handler), await t.listen(q, b.handler), await t.listen(q, c.handler)];
        const sent = Array.from({ length: 60 }, (_, i) => `m${i}`);
        for (const body of sent) await t.send(q, body);
        await waitUntil(() => a.received.length + b.received.length + c.received.length >= sent.length, 'all messages');
        await quiet();
        const all = [...a.received, ...b.received, ...c.received];
        assert.equal(all.length, sent.length, 'no message was delivered twice');
        assert.deepEqual([...all].sort(), [...sent].sort());
        await Promise.all(subs.map((s) => s.close()));
      });

      test('a single listener receives one sender\'s messages in order', async () => {
        const q = topic('order');
        const a = collector();
        const sub = await t.listen(q, a.handler);
        const sent = Array.from({ length: 25 }, (_, i) => `n${i}`);
        for (const body of sent) await t.send(q, body);
        await a.waitFor(sent.length);
        assert.deepEqual(a.received, sent);
        await sub.close();
      });

      test('messages sent before any listener exists wait and are delivered when one arrives', async () => {
        const q = topic('early');
        await t.send(q, 'first');
        await t.send(q, 'second');
        await quiet();
        const a = collector();
        const sub = await t.listen(q, a.handler);
        await a.waitFor(2);
        assert.deepEqual([...a.received].sort(), ['first', 'second']);
        await quiet();
        assert.equal(a.received.length, 2);
        await sub.close();
      });

      test('a message with an expiry that no listener took in time is dropped; one without waits', async () => {
        const q = topic('expiring');
        await t.send(q, 'stale', { expiresInMs: 20 });
        await t.send(q, 'kept');
        // Past the expiry, then long enough for a broker to have dropped it.
        await new Promise((r) => setTimeout(r, 40));
        await quiet();
        const a = collector();
        const sub = await t.listen(q, a.handler);
        await a.waitFor(1);
        await quiet();
        assert.deepEqual(a.received, ['kept']);
        await sub.close();
      });

      test('a message with an expiry reaches a listener that is there', async () => {
        const q = topic('in-time');
        const a = collector();
        const sub = await t.listen(q, a.handler);
        await t.send(q, 'fresh', { expiresInMs: 60_000 });
        await a.waitFor(1);
        assert.deepEqual(a.received, ['fresh']);
        await sub.close();
      });

      test('topics are separate: a listener never sees another topic\'s messages', async () => {
        const q1 = topic('sep1');
        const q2 = topic('sep2');
        const a = collector();
        const b = collector();
        const subs = [await t.listen(q1, a.handler), await t.listen(q2, b.handler)];
        await t.send(q1, 'for-one');
        await t.send(q2, 'for-two');
        await a.waitFor(1);
        await b.waitFor(1);
        await quiet();
        assert.deepEqual(a.received, ['for-one']);
        assert.deepEqual(b.received, ['for-two']);
        await Promise.all(subs.map((s) => s.close()));
      });
    });

    describe('fanout', () => {
      test('every current fanout listener receives its own copy', async () => {
        const f = topic('fan');
        const listeners = [collector(), collector(), collector()];
        const subs = await Promise.all(listeners.map((l) => t.listenFanout(f, l.handler)));
        await t.fanout(f, 'hello all');
        await t.fanout(f, 'again');
        for (const l of listeners) await l.waitFor(2);
        await quiet();
        for (const l of listeners) assert.deepEqual([...l.received].sort(), ['again', 'hello all']);
        await Promise.all(subs.map((s) => s.close()));
      });

      test('a fanout with no listener is dropped, not kept for a later listener', async () => {
        const f = topic('fan-drop');
        await t.fanout(f, 'nobody hears this');
        await quiet();
        const l = collector();
        const sub = await t.listenFanout(f, l.handler);
        await quiet();
        assert.deepEqual(l.received, []);
        await t.fanout(f, 'now heard');
        await l.waitFor(1);
        assert.deepEqual(l.received, ['now heard']);
        await sub.close();
      });

      test('the same handler function subscribed twice is two subscriptions', async () => {
        const f = topic('fan-twice');
        const l = collector();
        const s1 = await t.listenFanout(f, l.handler);
        const s2 = await t.listenFanout(f, l.handler);
        await t.fanout(f, 'x');
        await l.waitFor(2);
        await s1.close();
        await t.fanout(f, 'y');
        await l.waitFor(3);
        await quiet();
        assert.deepEqual(l.received, ['x', 'x', 'y']);
        await s2.close();
      });

      test('fanout and competing-consumer listeners of the same topic name do not see each other\'s traffic', async () => {
        const name = topic('both');
        const queued = collector();
        const fanned = collector();
        const subs = [await t.listen(name, queued.handler), await t.listenFanout(name, fanned.handler)];
        await t.send(name, 'direct');
        await t.fanout(name, 'broadcast');
        await queued.waitFor(1);
        await fanned.waitFor(1);
        await quiet();
        assert.deepEqual(queued.received, ['direct']);
        assert.deepEqual(fanned.received, ['broadcast']);
        await Promise.all(subs.map((s) => s.close()));
      });
    });

    describe('delivery', () => {
      test('a listener is never called inside send\'s or fanout\'s call stack', async () => {
        const q = topic('async');
        let sending = false;
        const seenWhileSending: boolean[] = [];
        const l = collector(() => void seenWhileSending.push(sending));
        const subs = [await t.listen(q, l.handler), await t.listenFanout(q, l.handler)];
        await sleep(0);
        sending = true;
        const p1 = t.send(q, 'a');
        const p2 = t.fanout(q, 'b');
        sending = false;
        await Promise.all([p1, p2]);
        await l.waitFor(2);
        assert.deepEqual(seenWhileSending, [false, false]);
        await Promise.all(subs.map((s) => s.close()));
      });

      test('bodies arrive as strings equal to what was sent', async () => {
        const q = topic('bodies');
        const l = collector();
        const sub = await t.listen(q, l.handler);
        const bodies = [
          JSON.stringify({ method: 'build_and_run_instance', args: { name: 'vm "1"\n\ttab', n: [1, 2.5, null, true] } }),
          'ünïcødé ☃ 日本語 🚀',
          '',
          'x'.repeat(256 * 1024),
          '\u0000 binary-ish \u0001\u001f',
        ];
        for (const b of bodies) await t.send(q, b);
        await l.waitFor(bodies.length);
        for (const r of l.received) assert.equal(typeof r, 'string');
        assert.deepEqual([...l.received].sort(), [...bodies].sort());
        await sub.close();
      });
    });

    describe('closing a subscription', () => {
      test('stops delivery to it; later messages wait for the next listener', async () => {
        const q = topic('close');
        const a = collector();
        const subA = await t.listen(q, a.handler);
        await t.send(q, 'before');
        await a.waitFor(1);
        await subA.close();
        await t.send(q, 'after');
        await quiet();
        assert.deepEqual(a.received, ['before']);
        const b = collector();
        const subB = await t.listen(q, b.handler);
        await b.waitFor(1);
        assert.deepEqual(b.received, ['after']);
        assert.deepEqual(a.received, ['before']);
        await subB.close();
      });

      test('a message not yet handled when its listener closes is not lost', async () => {
        const q = topic('inflight');
        const a = collector();
        const b = collector();
        const subA = await t.listen(q, a.handler);
        const subB = await t.listen(q, b.handler);
        // Whichever listener each message was meant for, closing A right after sending must
        // not lose A's share: after close() resolves A's handler never runs again.
        await Promise.all(Array.from({ length: 10 }, (_, i) => t.send(q, `p${i}`)));
        await subA.close();
        const aAtClose = a.received.length;
        await waitUntil(() => a.received.length + b.received.length >= 10, 'every message');
        await quiet();
        assert.equal(a.received.length, aAtClose, 'a closed listener received a message');
        assert.equal(a.received.length + b.received.length, 10);
        await subB.close();
      });

      test('stops fanout delivery to it while others still receive', async () => {
        const f = topic('fan-close');
        const a = collector();
        const b = collector();
        const subA = await t.listenFanout(f, a.handler);
        const subB = await t.listenFanout(f, b.handler);
        await subA.close();
        await t.fanout(f, 'only b');
        await b.waitFor(1);
        await quiet();
        assert.deepEqual(a.received, []);
        assert.deepEqual(b.received, ['only b']);
        await subB.close();
      });
    });

    describe('failing handlers', () => {
      test('a handler that throws does not stop later deliveries', async () => {
        const q = topic('throw');
        let n = 0;
        const l = collector(() => {
          n++;
          if (n === 1) throw new Error('handler bug');
        });
        const sub = await t.listen(q, l.handler);
        await t.send(q, 'one');
        await t.send(q, 'two');
        await t.send(q, 'three');
        await l.waitFor(3);
        await quiet();
        assert.deepEqual(l.received, ['one', 'two', 'three'], 'the failed message was delivered again');
        await sub.close();
      });

      test('a handler whose promise rejects does not stop later deliveries, queue or fanout', async () => {
        const name = topic('reject');
        const l = collector(async (body) => {
          if (body.startsWith('bad')) throw new Error('async handler bug');
        });
        const subs = [await t.listen(name, l.handler), await t.listenFanout(name, l.handler)];
        await t.send(name, 'bad-1');
        await t.fanout(name, 'bad-2');
        await l.waitFor(2);
        await t.send(name, 'good-1');
        await t.fanout(name, 'good-2');
        await l.waitFor(4);
        await quiet();
        assert.deepEqual([...l.received].sort(), ['bad-1', 'bad-2', 'good-1', 'good-2'], 'a failed message was delivered again');
        await Promise.all(subs.map((s) => s.close()));
      });

      test('a slow handler does not hold up other listeners', async () => {
        const q = topic('slow');
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        const slow = collector(() => gate);
        const fast = collector();
        const subs = [await t.listenFanout(q, slow.handler), await t.listenFanout(q, fast.handler)];
        await t.fanout(q, 'go');
        await fast.waitFor(1);
        await slow.waitFor(1);
        release();
        await Promise.all(subs.map((s) => s.close()));
      });
    });
  });
}
