/**
 * RPC over a transport: `call` (waits for the reply, with a timeout), `cast`
 * (fire and forget) and `fanoutCast` (every server of a topic). Errors raised
 * by the remote method come back as RemoteError carrying the class name, so a
 * caller can tell NoValidHost from anything else without sharing classes.
 */
import type { Logger } from 'pino';
import type { Subscription, Transport } from './transport.js';
import type { RequestContext } from './context.js';
import { deserializeFailure, osloId, packContext, serializeFailure, unpackContext, type PackedContext } from './oslo-message.js';

/**
 * oslo.messaging's RPC message: the method, its arguments, the API version the
 * caller speaks (when it names one), the reply address of a call, and the
 * flattened request context.
 */
type RequestMessage = {
  method: string;
  args: Record<string, unknown>;
  version?: string;
  _msg_id?: string;
  _reply_q?: string;
  _unique_id: string;
} & PackedContext;

/** oslo's reply: `failure` is the serialized remote exception, or null. */
interface ReplyMessage {
  _msg_id: string;
  _unique_id: string;
  result: unknown;
  failure: string | null;
  ending: true;
}

function requestMessage(ctx: RequestContext, method: string, args: Record<string, unknown>, version?: string): RequestMessage {
  return { method, args, ...(version !== undefined ? { version } : {}), _unique_id: osloId(), ...packContext(ctx, { withToken: true }) };
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

export interface CastOptions {
  /** The RPC API version the caller speaks, carried as oslo's `version`. */
  version?: string;
}

export interface CallOptions extends CastOptions {
  timeoutMs?: number;
}

export class RpcClient {
  /** A transport maps `reply_*` topics to oslo's per-process, auto-deleted reply queue. */
  private readonly replyTopic = `reply_${osloId()}`;
  private readonly pending = new Map<string, { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  private subscription?: Promise<Subscription>;
  private closed = false;

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
    const msgId = osloId();
    const body = JSON.stringify({ ...requestMessage(ctx, method, args, opts.version), _msg_id: msgId, _reply_q: this.replyTopic });
    await this.start();
    if (this.closed) throw new Error('RPC client closed');
    const timeoutMs = opts.timeoutMs ?? this.defaultTimeoutMs;
    const reply = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(msgId);
        reject(new RpcTimeout(topic, method, timeoutMs));
      }, timeoutMs);
      this.pending.set(msgId, { resolve: resolve as (v: unknown) => void, reject, timer });
    });
    // close() may reject it while the send below is still waiting for the broker.
    reply.catch(() => undefined);
    try {
      // Expiring with the wait: a server that starts after the caller gave up must not act on it.
      await this.transport.send(topic, body, { expiresInMs: timeoutMs });
    } catch (err) {
      const p = this.pending.get(msgId);
      if (p) clearTimeout(p.timer);
      this.pending.delete(msgId);
      throw err;
    }
    return reply;
  }

  /** Resolves once the transport has taken the message (on a broker: confirmed it); rejects if it could not. */
  async cast(ctx: RequestContext, topic: string, method: string, args: Record<string, unknown>, opts: CastOptions = {}): Promise<void> {
    await this.transport.send(topic, JSON.stringify(requestMessage(ctx, method, args, opts.version)));
  }

  async fanoutCast(ctx: RequestContext, topic: string, method: string, args: Record<string, unknown>, opts: CastOptions = {}): Promise<void> {
    await this.transport.fanout(topic, JSON.stringify(requestMessage(ctx, method, args, opts.version)));
  }

  async close(): Promise<void> {
    this.closed = true;
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
    let reply: ReplyMessage;
    try {
      reply = JSON.parse(body) as ReplyMessage;
    } catch {
      return; // not a reply: nothing waits for it
    }
    const p = typeof reply?._msg_id === 'string' ? this.pending.get(reply._msg_id) : undefined;
    if (!p) return; // a reply after its timeout
    this.pending.delete(reply._msg_id);
    clearTimeout(p.timer);
    if (reply.failure) {
      const f = deserializeFailure(reply.failure);
      p.reject(new RemoteError(f.name, f.message));
    } else p.resolve(reply.result ?? null);
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
    const context = unpackContext(msg);
    const log = this.logger.child({ request_id: context.requestId });
    const fn = Object.prototype.hasOwnProperty.call(this.endpoint, msg.method) ? this.endpoint[msg.method] : undefined;
    const msgId = typeof msg._msg_id === 'string' ? msg._msg_id : undefined;
    const replyTo = typeof msg._reply_q === 'string' ? msg._reply_q : undefined;
    const answer = (result: unknown, failure: string | null): ReplyMessage | undefined =>
      msgId ? { _msg_id: msgId, _unique_id: osloId(), result, failure, ending: true } : undefined;
    let reply: ReplyMessage | undefined;
    try {
      if (typeof fn !== 'function') throw new UnknownRpcMethod(`${this.topic} has no method ${msg.method}`);
      const result = await fn.call(this.endpoint, context, msg.args ?? {});
      reply = answer(result ?? null, null);
    } catch (err) {
      const e = err as Error;
      log.debug({ method: msg.method, err: e }, 'RPC method raised');
      reply = answer(null, serializeFailure({ name: remoteNameOf(err), message: e?.message ?? String(err) }));
      if (!msgId) log.error({ method: msg.method, err: e }, 'RPC cast failed');
    }
    if (reply && replyTo) {
      await this.transport.send(replyTo, JSON.stringify(reply)).catch((err) => log.error({ err }, 'could not send an RPC reply'));
    }
  }
}
