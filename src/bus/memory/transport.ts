/**
 * memory:// — the in-process transport of the all-in-one and of the emulator
 * mode. It delivers asynchronously (never inside the sender's call stack) and
 * only strings, so code that works here does not depend on shared references.
 */
import type { MessageHandler, Subscription, Transport } from '../transport.js';

interface Queue {
  pending: string[];
  listeners: MessageHandler[];
  next: number;
}

export class MemoryTransport implements Transport {
  private readonly queues = new Map<string, Queue>();
  private readonly fanouts = new Map<string, Set<MessageHandler>>();
  private closed = false;
  /** Messages delivered, for tests that assert on traffic (like undici's MockAgent call history). */
  delivered = 0;

  constructor(readonly url = 'memory://') {}

  async listen(topic: string, handler: MessageHandler): Promise<Subscription> {
    const q = this.queue(topic);
    q.listeners.push(handler);
    while (q.pending.length > 0) this.deliver(handler, q.pending.shift() as string);
    return {
      close: async () => {
        q.listeners = q.listeners.filter((h) => h !== handler);
      },
    };
  }

  async listenFanout(topic: string, handler: MessageHandler): Promise<Subscription> {
    let set = this.fanouts.get(topic);
    if (!set) this.fanouts.set(topic, (set = new Set()));
    set.add(handler);
    return { close: async () => void set.delete(handler) };
  }

  async send(topic: string, body: string): Promise<void> {
    this.assertOpen();
    const q = this.queue(topic);
    if (q.listeners.length === 0) {
      q.pending.push(body);
      return;
    }
    const handler = q.listeners[q.next++ % q.listeners.length];
    this.deliver(handler, body);
  }

  async fanout(topic: string, body: string): Promise<void> {
    this.assertOpen();
    for (const handler of this.fanouts.get(topic) ?? []) this.deliver(handler, body);
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

  private deliver(handler: MessageHandler, body: string): void {
    setImmediate(() => {
      if (this.closed) return;
      this.delivered++;
      // A handler's failure is the handler's to log; it must not stop the bus.
      Promise.resolve()
        .then(() => handler(body))
        .catch(() => undefined);
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('transport is closed');
  }
}
