/**
 * memory:// — the in-process transport of the all-in-one and of the emulator
 * mode. It delivers asynchronously (never inside the sender's call stack) and
 * only strings, so code that works here does not depend on shared references.
 *
 * Delivery is a microtask, not a later event-loop turn: a chain of casts and
 * calls (API → conductor → scheduler → compute) then runs through as soon as
 * each sender yields, instead of queueing behind whatever I/O arrived in the
 * meantime. A fake-driver boot is finished before the client's first poll is
 * even read, as a broker-less in-process hop should be; with a turn per hop
 * every poll landed in the middle of the chain.
 */
import type { MessageHandler, SendOptions, Subscription, Transport } from '../transport.js';

/** One subscription; handlers are wrapped so the same function may subscribe twice. */
interface Listener {
  handler: MessageHandler;
  active: boolean;
}

/** A message and when it stops being worth delivering (never: Infinity). */
interface Queued {
  body: string;
  expiresAt: number;
}

interface Queue {
  pending: Queued[];
  listeners: Listener[];
  next: number;
}

export class MemoryTransport implements Transport {
  private readonly queues = new Map<string, Queue>();
  private readonly fanouts = new Map<string, Set<Listener>>();
  private closed = false;
  /** Messages delivered, for tests that assert on traffic (like undici's MockAgent call history). */
  delivered = 0;

  constructor(readonly url = 'memory://') {}

  async listen(topic: string, handler: MessageHandler): Promise<Subscription> {
    const q = this.queue(topic);
    const listener: Listener = { handler, active: true };
    q.listeners.push(listener);
    for (const m of q.pending.splice(0)) this.route(q, m);
    return {
      close: async () => {
        listener.active = false;
        q.listeners = q.listeners.filter((l) => l !== listener);
      },
    };
  }

  async listenFanout(topic: string, handler: MessageHandler): Promise<Subscription> {
    let set = this.fanouts.get(topic);
    if (!set) this.fanouts.set(topic, (set = new Set()));
    const listener: Listener = { handler, active: true };
    set.add(listener);
    return {
      close: async () => {
        listener.active = false;
        set.delete(listener);
      },
    };
  }

  async send(topic: string, body: string, opts: SendOptions = {}): Promise<void> {
    this.assertOpen();
    this.route(this.queue(topic), { body, expiresAt: opts.expiresInMs === undefined ? Infinity : Date.now() + opts.expiresInMs });
  }

  async fanout(topic: string, body: string): Promise<void> {
    this.assertOpen();
    for (const listener of this.fanouts.get(topic) ?? []) {
      queueMicrotask(() => {
        if (!this.closed && listener.active) this.run(listener.handler, body);
      });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queues.clear();
    this.fanouts.clear();
  }

  private queue(topic: string): Queue {
    let q = this.queues.get(topic);
    if (!q) this.queues.set(topic, (q = { pending: [], listeners: [], next: 0 }));
    return q;
  }

  /**
   * Picks the consumer now and delivers once the sender yields. A consumer that closed
   * in between has not taken the message, so it goes back to the queue (as an
   * unacknowledged message does on a broker) instead of being lost.
   */
  private route(q: Queue, m: Queued): void {
    if (Date.now() > m.expiresAt) return;
    if (q.listeners.length === 0) {
      q.pending.push(m);
      return;
    }
    const listener = q.listeners[q.next++ % q.listeners.length];
    queueMicrotask(() => {
      if (this.closed) return;
      if (!listener.active) this.route(q, m);
      else this.run(listener.handler, m.body);
    });
  }

  private run(handler: MessageHandler, body: string): void {
    this.delivered++;
    // A handler's failure is the handler's to log; it must not stop the bus.
    Promise.resolve()
      .then(() => handler(body))
      .catch(() => undefined);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('transport is closed');
  }
}
