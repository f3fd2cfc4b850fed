/**
 * RPC over a transport: `call` (waits for the reply, with a timeout), `cast`
 * (fire and forget) and `fanoutCast` (every server of a topic). Errors raised
 * by the remote method come back as RemoteError carrying the class name, so a
 * caller can tell NoValidHost from anything else without sharing classes.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Subscription, Transport } from './transport.js';
import type { RequestContext } from './context.js';

interface RequestMessage {
  method: string;
  args: Record<string, unknown>;
  context: RequestContext;
  msg_id?: string;
  reply_to?: string;
}

interface ReplyMessage {
  msg_id: string;
  result?: unknown;
  failure?: { name: string; message: string };
}

export class RemoteError extends Error {
  constructor(readonly remoteName: string, message: string) {
    super(message);
    this.name = 'RemoteError';
  }
}

export class RpcTimeout extends Error {
  constructor(readonly topic: string, readonly method: string, readonly timeoutMs: number) {
    super(`Timed out waiting for a reply to ${method} on ${topic}`);
    this.name = 'RpcTimeout';
  }
}

export class UnknownRpcMethod extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownRpcMethod';
  }
}

/**
 * The name a failure travels under: the error's own `name` when it set one,
 * else its class name, so `class NoValidHost extends Error {}` arrives as
 * NoValidHost and not as a bare Error.
 */
function remoteNameOf(err: unknown): string {
  if (err === null || typeof err !== 'object') return 'Error';
  const e = err as { name?: unknown; constructor?: { name?: unknown } };
  if (typeof e?.name === 'string' && e.name !== '' && e.name !== 'Error') return e.name;
  const cls = e?.constructor?.name;
  if (typeof cls === 'string' && cls !== '' && cls !== 'Object') return cls;
  return 'Error';
}

export interface CallOptions {
  timeoutMs?: number;
}

export class RpcClient {
  private readonly replyTopic = `reply_${randomUUID()}`;
  private readonly pending = new Map<string, { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  private subscription?: Promise<Subscription>;

  constructor(private readonly transport: Transport, private readonly defaultTimeoutMs: number) {}

  /** Idempotent: concurrent first calls share one reply subscription. */
  async start(): Promise<void> {
    this.subscription ??= this.transport.listen(this.replyTopic, (body) => this.onReply(body)).catch((err) => {
      this.subscription = undefined; // let the next call try again
      throw err;
    });
    await this.subscription;
  }

  async call<T = unknown>(ctx: RequestContext, topic: string, method: string, args: Record<string, unknown>, opts: CallOptions = {}): Promise<T> {
    // Serialize before the first await: the caller may change `args` once call() returns its promise.
    const msgId = randomUUID();
    const body = JSON.stringify({ method, args, context: ctx, msg_id: msgId, reply_to: this.replyTopic } satisfies RequestMessage);
    await this.start();
    const timeoutMs = opts.timeoutMs ?? this.defaultTimeoutMs;
    const reply = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(msgId);
        reject(new RpcTimeout(topic, method, timeoutMs));
      }, timeoutMs);
      this.pending.set(msgId, { resolve: resolve as (v: unknown) => void, reject, timer });
    });
    try {
      await this.transport.send(topic, body);
    } catch (err) {
      const p = this.pending.get(msgId);
      if (p) clearTimeout(p.timer);
      this.pending.delete(msgId);
      throw err;
    }
    return reply;
  }

  async cast(ctx: RequestContext, topic: string, method: string, args: Record<string, unknown>): Promise<void> {
    const msg: RequestMessage = { method, args, context: ctx };
    await this.transport.send(topic, JSON.stringify(msg));
  }

  async fanoutCast(ctx: RequestContext, topic: string, method: string, args: Record<string, unknown>): Promise<void> {
    const msg: RequestMessage = { method, args, context: ctx };
    await this.transport.fanout(topic, JSON.stringify(msg));
  }

  async close(): Promise<void> {
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error('RPC client closed'));
    }
    this.pending.clear();
    const sub = this.subscription;
    this.subscription = undefined;
    await (await sub)?.close();
  }

  private onReply(body: string): void {
    const reply = JSON.parse(body) as ReplyMessage;
    const p = this.pending.get(reply.msg_id);
    if (!p) return; // a reply after its timeout
    this.pending.delete(reply.msg_id);
    clearTimeout(p.timer);
    if (reply.failure) p.reject(new RemoteError(reply.failure.name, reply.failure.message));
    else p.resolve(reply.result);
  }
}

/** A method an RPC server exposes: context first, then the named arguments. */
export type RpcEndpoint = Record<string, (ctx: RequestContext, args: any) => unknown>;

export class RpcServer {
  private readonly subscriptions: Subscription[] = [];

  constructor(
    private readonly transport: Transport,
    private readonly topic: string,
    private readonly endpoint: RpcEndpoint,
    private readonly logger: Logger,
  ) {}

  /** Listens on the topic (one of many servers) and on its fanout. */
  async start(): Promise<void> {
    this.subscriptions.push(await this.transport.listen(this.topic, (b) => this.dispatch(b)));
    this.subscriptions.push(await this.transport.listenFanout(this.topic, (b) => this.dispatch(b)));
  }

  async stop(): Promise<void> {
    await Promise.all(this.subscriptions.splice(0).map((s) => s.close()));
  }

  private async dispatch(body: string): Promise<void> {
    let msg: RequestMessage;
    try {
      msg = JSON.parse(body) as RequestMessage;
      if (!msg || typeof msg !== 'object' || typeof msg.method !== 'string') throw new TypeError('not an RPC request');
    } catch {
      this.logger.error({ topic: this.topic }, 'dropped an RPC message that is not a JSON request');
      return;
    }
    const log = this.logger.child({ request_id: msg.context?.requestId });
    const fn = Object.prototype.hasOwnProperty.call(this.endpoint, msg.method) ? this.endpoint[msg.method] : undefined;
    let reply: ReplyMessage | undefined;
    try {
      if (typeof fn !== 'function') throw new UnknownRpcMethod(`${this.topic} has no method ${msg.method}`);
      const result = await fn.call(this.endpoint, msg.context, msg.args ?? {});
      if (msg.msg_id) reply = { msg_id: msg.msg_id, result: result ?? null };
    } catch (err) {
      const e = err as Error;
      log.debug({ method: msg.method, err: e }, 'RPC method raised');
      if (msg.msg_id) reply = { msg_id: msg.msg_id, failure: { name: remoteNameOf(err), message: e?.message ?? String(err) } };
      else log.error({ method: msg.method, err: e }, 'RPC cast failed');
    }
    if (reply && msg.reply_to) {
      await this.transport.send(msg.reply_to, JSON.stringify(reply)).catch((err) => log.error({ err }, 'could not send an RPC reply'));
    }
  }
}
