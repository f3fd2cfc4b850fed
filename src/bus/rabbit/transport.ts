/**
 * rabbit:// — the bus over RabbitMQ, laid out as oslo.messaging's rabbit
 * driver lays it out, so OpenStack tools see what they expect:
 *
 * - listen(topic): a queue named after the topic, bound with the topic as
 *   routing key to the control exchange (a topic exchange, 'nova' by default);
 *   `compute.<host>` is just another topic. Reply topics (`reply_<id>`, made by
 *   the RpcClient) are exclusive, auto-delete queues reached through the
 *   default exchange, as oslo's direct consumers are.
 * - listenFanout(topic): an exclusive, auto-delete queue per listener, bound to
 *   the fanout exchange `<topic>_fanout`.
 * - every body is wrapped in oslo's 2.0 envelope (envelope.ts).
 *
 * Delivery guarantees:
 * - send/fanout resolve only once the broker confirmed the message (publisher
 *   confirms); a nack, or a connection lost before the confirm, rejects. Such a
 *   message may still have been queued, so it is not re-sent here: the caller
 *   learns of the failure instead of getting a silent duplicate.
 * - a send made while disconnected waits for the reconnection up to
 *   sendTimeoutMs, then rejects with RabbitUnavailable; a confirm that does
 *   not come within sendTimeoutMs (a broker blocking publishers) rejects too.
 * - a consumed message is acknowledged once its handler's promise settles,
 *   resolved or rejected: a failing handler has had its chance (the RPC layer
 *   already answered with the failure), and redelivering it would loop. A
 *   message whose handler had not settled when the connection dropped is
 *   redelivered after the reconnection: delivery is at least once. Replies
 *   are the exception: their queue is the caller's alone and goes with its
 *   connection, so nothing could redeliver one, and they are consumed without
 *   acknowledgements (a frame each way less per call).
 * - prefetch bounds the unacknowledged messages (so concurrent handlers) per
 *   listener.
 * - a lost connection is re-opened with oslo's backoff, trying each host in
 *   turn, and every exchange, queue, binding and consumer is declared again.
 */
import amqp from 'amqplib';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { randomUUID } from 'node:crypto';
import type { MessageHandler, SendOptions, Subscription, Transport } from '../transport.js';
import { unwrap, wrap } from './envelope.js';
import { batchFrameWrites } from './frame-batching.js';
import { DEFAULT_RABBIT_OPTIONS, reconnectDelayMs, type RabbitOptions } from './options.js';
import { describeRabbitUrl, parseRabbitUrl, type RabbitUrl } from './url.js';

/** The broker could not be reached within the bound; the message was not sent. */
export class RabbitUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RabbitUnavailable';
  }
}

/** The broker did not confirm a message (nack, or the connection dropped first). */
export class RabbitSendFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RabbitSendFailed';
  }
}

/** oslo's direct (reply) queues: the RpcClient names its reply topic so. */
const REPLY_PREFIX = 'reply_';

type Kind = 'topic' | 'fanout' | 'reply';

interface Consumer {
  kind: Kind;
  topic: string;
  queue: string;
  handler: MessageHandler;
  closed: boolean;
  channel?: Channel;
  tag?: string;
  /** The connection generation the consumer is attached on (0: none). */
  generation: number;
  attaching?: { generation: number; done: Promise<void> };
  inflight: number;
}

interface Live {
  conn: ChannelModel;
  generation: number;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class RabbitTransport implements Transport {
  /** Safe to log: the password is masked. */
  readonly url: string;
  private readonly target: RabbitUrl;
  private readonly o: RabbitOptions;
  private live?: Live;
  private generation = 0;
  private closed = false;
  private connecting?: Promise<void>;
  private hostIndex = 0;
  private lastError = 'not connected yet';
  private readonly waiters = new Set<() => void>();
  private readonly consumers = new Set<Consumer>();
  /** Per connection: what this side has declared, so each is declared once. */
  private declared = new Map<string, Promise<void>>();
  private channels = new Map<string, Promise<Channel>>();
  private retryTimer?: { timer: NodeJS.Timeout; wake(): void };

  constructor(url: string, options: Partial<RabbitOptions> = {}) {
    this.target = parseRabbitUrl(url);
    this.url = describeRabbitUrl(this.target);
    this.o = { ...DEFAULT_RABBIT_OPTIONS, ...options };
    this.connecting = this.connectLoop();
  }

  /** Whether a connection is open now (for status output and tests). */
  get isConnected(): boolean {
    return this.live !== undefined;
  }

  async listen(topic: string, handler: MessageHandler): Promise<Subscription> {
    const kind: Kind = topic.startsWith(REPLY_PREFIX) ? 'reply' : 'topic';
    return this.subscribe({ kind, topic, queue: topic, handler });
  }

  async listenFanout(topic: string, handler: MessageHandler): Promise<Subscription> {
    return this.subscribe({ kind: 'fanout', topic, queue: `${topic}_fanout_${randomUUID().replace(/-/g, '')}`, handler });
  }

  async send(topic: string, body: string, opts: SendOptions = {}): Promise<void> {
    this.assertOpen();
    const content = Buffer.from(wrap(body), 'utf8');
    if (topic.startsWith(REPLY_PREFIX)) {
      // A reply whose queue is gone (its caller stopped) is dropped, as oslo's is: declaring the
      // queue here would leave one behind that nobody consumes.
      return this.publish('send', async () => ['', topic], content, false, opts.expiresAt);
    }
    return this.publish('send', async () => {
      await this.declareTopicQueue(topic);
      return [this.o.controlExchange, topic];
    }, content, this.o.durableQueues, opts.expiresAt);
  }

  async fanout(topic: string, body: string): Promise<void> {
    this.assertOpen();
    const exchange = `${topic}_fanout`;
    return this.publish('fanout', async () => {
      // Not cached: the exchange is auto-delete and goes with its last listener.
      await this.withDeclareChannel((ch) => ch.assertExchange(exchange, 'fanout', { durable: false, autoDelete: true }));
      return [exchange, topic];
    }, Buffer.from(wrap(body), 'utf8'), false);
  }

  /**
   * oslo.messaging's notifier: the notification goes to a queue named after
   * the topic on the control exchange, declared by the publisher, so it waits
   * there for a consumer that starts later.
   */
  notify(topic: string, body: string): Promise<void> {
    return this.send(topic, body);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.consumers) c.closed = true;
    this.consumers.clear();
    this.retryTimer?.wake();
    for (const w of this.waiters) w();
    const live = this.live;
    this.live = undefined;
    if (live) {
      // Unacknowledged messages go back to their queues when the connection closes.
      await Promise.race([live.conn.close().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    }
    await this.connecting?.catch(() => undefined);
  }

  // --- connection ----------------------------------------------------------

  private async connectLoop(): Promise<void> {
    let round = 0;
    while (!this.closed) {
      const host = this.target.hosts[this.hostIndex % this.target.hosts.length];
      try {
        const conn = await amqp.connect({
          protocol: 'amqp', hostname: host.hostname, port: host.port, username: host.username, password: host.password,
          vhost: this.target.vhost,
          // amqplib declares the peer dead after two missed beats: half the threshold each.
          heartbeat: Math.ceil(this.o.heartbeatTimeoutThresholdMs / 2000),
        }, {
          timeout: Math.min(5000, this.o.sendTimeoutMs),
          // Small RPC messages must not wait for Nagle's algorithm: 40 ms per call round trip otherwise.
          noDelay: true,
        });
        if (this.closed) {
          await conn.close().catch(() => undefined);
          return;
        }
        await this.onConnected(conn, `${host.hostname}:${host.port}`);
        return;
      } catch (err) {
        this.lastError = `${host.hostname}:${host.port}: ${errorText(err)}`;
        this.hostIndex++;
        if (this.hostIndex % this.target.hosts.length === 0) {
          round++;
          const wait = reconnectDelayMs(this.o, round);
          this.o.logger?.warn({ transport: this.url, error: this.lastError, retry_in_ms: wait }, 'RabbitMQ unreachable; retrying');
          await this.pause(wait);
        }
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.retryTimer = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.retryTimer = { timer, wake };
    });
  }

  private async onConnected(conn: ChannelModel, where: string): Promise<void> {
    const generation = ++this.generation;
    if (!batchFrameWrites(conn)) this.o.logger?.debug({ transport: this.url }, 'amqplib\'s frame writer is not the one known: its writes go out unbatched');
    this.declared = new Map();
    this.channels = new Map();
    conn.on('error', (err: Error) => { this.lastError = `${where}: ${err.message}`; });
    conn.on('blocked', (reason: string) => this.o.logger?.warn({ transport: this.url, reason }, 'RabbitMQ blocked publishing'));
    conn.on('close', () => this.onConnectionLost(generation));
    const live: Live = { conn, generation };
    this.live = live;
    // Consumers first, so nothing a waiting sender publishes next finds its listener missing.
    await Promise.all([...this.consumers].map((c) => this.attach(c, live).catch((err) => {
      this.o.logger?.error({ transport: this.url, topic: c.topic, err }, 'could not restore a consumer after reconnecting');
    })));
    if (this.live !== live) return;
    this.connecting = undefined;
    if (generation > 1) this.o.logger?.info({ transport: this.url, host: where }, 'reconnected to RabbitMQ');
    for (const w of this.waiters) w();
  }

  private onConnectionLost(generation: number): void {
    if (this.live?.generation !== generation) return;
    this.live = undefined;
    for (const c of this.consumers) {
      c.channel = undefined;
      c.generation = 0;
    }
    if (this.closed) return;
    this.o.logger?.warn({ transport: this.url, error: this.lastError }, 'lost the RabbitMQ connection; reconnecting');
    this.connecting = this.connectLoop();
  }

  /** The open connection, waiting for a reconnection until `deadline`. */
  private async connection(deadline: number): Promise<Live> {
    for (;;) {
      this.assertOpen();
      if (this.live) return this.live;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new RabbitUnavailable(`${this.url} is not reachable (${this.lastError}); gave up after waiting ${this.o.sendTimeoutMs} ms for the connection`);
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.waiters.add(done);
      });
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('transport is closed');
  }

  /** One channel per purpose, re-made when a channel error closed it. */
  private channel(purpose: 'send' | 'fanout' | 'declare', live: Live): Promise<Channel> {
    let ch = this.channels.get(purpose);
    if (!ch) {
      ch = (purpose === 'declare' ? live.conn.createChannel() : live.conn.createConfirmChannel()).then((c) => {
        c.on('error', () => undefined); // reported through the failed operation
        c.on('close', () => { if (this.channels.get(purpose) === ch) this.channels.delete(purpose); });
        return c;
      });
      ch.catch(() => { if (this.channels.get(purpose) === ch) this.channels.delete(purpose); });
      this.channels.set(purpose, ch);
    }
    return ch;
  }

  private async withDeclareChannel<T>(fn: (ch: Channel) => Promise<T>): Promise<T> {
    const live = this.live;
    if (!live) throw new RabbitUnavailable(`${this.url}: connection lost`);
    return fn(await this.channel('declare', live));
  }

  private declareTopicQueue(topic: string): Promise<void> {
    const key = `queue:${topic}`;
    let p = this.declared.get(key);
    if (!p) {
      const durable = this.o.durableQueues;
      p = this.withDeclareChannel(async (ch) => {
        await ch.assertExchange(this.o.controlExchange, 'topic', { durable, autoDelete: false });
        await ch.assertQueue(topic, { durable, autoDelete: false });
        await ch.bindQueue(topic, this.o.controlExchange, topic);
      });
      const declared = this.declared;
      p.catch(() => { if (declared.get(key) === p) declared.delete(key); });
      this.declared.set(key, p);
    }
    return p;
  }

  // --- publishing ----------------------------------------------------------

  /**
   * Waits for a connection, declares what the message needs, publishes and
   * waits for the confirm. Losing the connection before the message was
   * written retries within the bound; losing it after rejects.
   */
  private async publish(purpose: 'send' | 'fanout', route: () => Promise<[string, string]>, content: Buffer, persistent: boolean, expiresAt?: number): Promise<void> {
    const deadline = Date.now() + this.o.sendTimeoutMs;
    for (;;) {
      const live = await this.connection(deadline);
      let ch: ConfirmChannel;
      let exchange: string;
      let routingKey: string;
      try {
        [exchange, routingKey] = await route();
        ch = (await this.channel(purpose, live)) as ConfirmChannel;
      } catch (err) {
        if (this.live?.generation !== live.generation) continue; // the connection went: wait for the next one
        throw new RabbitSendFailed(`${this.url}: could not declare where the message goes (${errorText(err)})`);
      }
      const options: Options.Publish = { contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: persistent ? 2 : 1 };
      if (expiresAt !== undefined) {
        // The broker drops it unconsumed at its expiration, counted from now (a reconnection may have taken part of the time).
        const ttl = expiresAt - Date.now();
        if (ttl <= 0) return;
        options.expiration = String(ttl);
      }
      let written = false;
      try {
        await new Promise<void>((resolve, reject) => {
          // A broker that blocks publishers (memory or disk alarm) keeps the connection but confirms nothing.
          const timer = setTimeout(() => reject(new Error(`no confirm within ${this.o.sendTimeoutMs} ms`)), this.o.sendTimeoutMs);
          ch.publish(exchange, routingKey, content, options, (err) => {
            clearTimeout(timer);
            if (err) reject(err);
            else resolve();
          });
          written = true;
        });
        return;
      } catch (err) {
        if (!written && this.live?.generation !== live.generation) continue;
        throw new RabbitSendFailed(`${this.url}: the broker did not confirm the message to ${routingKey} (${errorText(err)}); it may or may not have been queued`);
      }
    }
  }

  // --- consuming -----------------------------------------------------------

  private async subscribe(spec: Pick<Consumer, 'kind' | 'topic' | 'queue' | 'handler'>): Promise<Subscription> {
    this.assertOpen();
    const c: Consumer = { ...spec, closed: false, generation: 0, inflight: 0 };
    this.consumers.add(c);
    const deadline = Date.now() + this.o.sendTimeoutMs;
    try {
      for (;;) {
        const live = await this.connection(deadline);
        try {
          await this.attach(c, live);
          break;
        } catch (err) {
          if (this.live?.generation === live.generation) throw err; // a real refusal, not a lost connection
        }
      }
    } catch (err) {
      this.consumers.delete(c);
      c.closed = true;
      throw err;
    }
    return { close: () => this.unsubscribe(c) };
  }

  /** Declares the consumer's queue and bindings and starts consuming; idempotent per connection. */
  private attach(c: Consumer, live: Live): Promise<void> {
    if (c.generation === live.generation) return Promise.resolve();
    if (c.attaching?.generation === live.generation) return c.attaching.done;
    // An attach on an older connection may still be failing: let it finish first.
    const before = c.attaching?.done.catch(() => undefined) ?? Promise.resolve();
    const done: Promise<void> = before
      .then(() => (c.generation === live.generation || c.closed ? undefined : this.declareAndConsume(c, live)))
      .finally(() => { if (c.attaching?.done === done) c.attaching = undefined; });
    c.attaching = { generation: live.generation, done };
    return done;
  }

  private async declareAndConsume(c: Consumer, live: Live): Promise<void> {
    const ch = await live.conn.createChannel();
    ch.on('error', (err: Error) => this.o.logger?.warn({ transport: this.url, topic: c.topic, error: err.message }, 'a consumer channel failed'));
    ch.on('close', () => this.onConsumerChannelClosed(c, ch, live));
    try {
      await ch.prefetch(this.o.prefetchCount, false);
      if (c.kind === 'topic') {
        const durable = this.o.durableQueues;
        await ch.assertExchange(this.o.controlExchange, 'topic', { durable, autoDelete: false });
        await ch.assertQueue(c.queue, { durable, autoDelete: false });
        await ch.bindQueue(c.queue, this.o.controlExchange, c.topic);
      } else if (c.kind === 'fanout') {
        const exchange = `${c.topic}_fanout`;
        await ch.assertExchange(exchange, 'fanout', { durable: false, autoDelete: true });
        await ch.assertQueue(c.queue, { durable: false, exclusive: true, autoDelete: true });
        await ch.bindQueue(c.queue, exchange, c.topic);
      } else {
        await ch.assertQueue(c.queue, { durable: false, exclusive: true, autoDelete: true });
      }
      const { consumerTag } = await ch.consume(c.queue, (msg) => this.deliver(c, ch, msg), { noAck: c.kind === 'reply' });
      if (c.closed) {
        await ch.close().catch(() => undefined);
        return;
      }
      c.channel = ch;
      c.tag = consumerTag;
      c.generation = live.generation;
    } catch (err) {
      await ch.close().catch(() => undefined);
      throw err;
    }
  }

  /** A consumer channel closed under a live connection (queue deleted, channel error): consume again. */
  private onConsumerChannelClosed(c: Consumer, ch: Channel, live: Live): void {
    if (c.channel !== ch) return;
    c.channel = undefined;
    c.generation = 0;
    if (c.closed || this.closed || this.live !== live) return;
    setTimeout(() => {
      if (!c.closed && this.live === live) {
        this.attach(c, live).catch((err) => this.o.logger?.error({ transport: this.url, topic: c.topic, err }, 'could not consume again'));
      }
    }, this.o.retryIntervalMs).unref();
  }

  private deliver(c: Consumer, ch: Channel, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // The broker cancelled the consumer (its queue was deleted): declare and consume again.
      if (c.channel === ch) void ch.close().catch(() => undefined);
      return;
    }
    if (c.closed) {
      // Arrived between close() and the broker's cancel-ok: back to the queue for another listener (a reply has none).
      if (c.kind !== 'reply') try { ch.nack(msg, false, true); } catch { /* the channel is gone: the broker requeues it anyway */ }
      return;
    }
    const body = unwrap(msg.content.toString('utf8'));
    c.inflight++;
    Promise.resolve()
      .then(() => c.handler(body))
      .catch(() => undefined) // a handler's failure is the handler's to log
      .finally(() => {
        c.inflight--;
        // On a channel that died meanwhile the ack cannot be sent: the broker redelivers the message.
        if (c.kind !== 'reply') try { ch.ack(msg); } catch { /* see above */ }
        if (c.closed && c.inflight === 0 && c.channel !== ch) void ch.close().catch(() => undefined);
      });
  }

  private async unsubscribe(c: Consumer): Promise<void> {
    if (c.closed) return;
    c.closed = true;
    this.consumers.delete(c);
    await c.attaching?.done.catch(() => undefined);
    const ch = c.channel;
    c.channel = undefined;
    if (!ch) return;
    if (c.tag) await ch.cancel(c.tag).catch(() => undefined);
    // Handlers still running ack on this channel when they finish; it closes after the last one.
    if (c.inflight === 0) await ch.close().catch(() => undefined);
  }
}
