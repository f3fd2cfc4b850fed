/**
 * The bus port. A transport moves opaque strings between topics; RPC and
 * notifications are built above it, so memory:// and rabbit:// behave alike:
 * whatever crosses the bus has been through JSON.
 */
export type MessageHandler = (body: string) => void | Promise<void>;

export interface SendOptions {
  /**
   * A message no listener has taken within this many milliseconds is dropped
   * (oslo.messaging's expiration on a call: its caller has stopped waiting, so
   * a server that starts later must not act on it).
   */
  expiresInMs?: number;
}

export interface Subscription {
  close(): Promise<void>;
}

export interface Transport {
  readonly url: string;
  /** Competing consumers: each message sent to `topic` reaches exactly one listener. Messages wait for a listener. */
  listen(topic: string, handler: MessageHandler): Promise<Subscription>;
  /** Every current fanout listener of `topic` receives a copy; with none, the message is dropped. */
  listenFanout(topic: string, handler: MessageHandler): Promise<Subscription>;
  /** Resolves once the message is safely queued (on a broker: confirmed); rejects when it may not have been. */
  send(topic: string, body: string, opts?: SendOptions): Promise<void>;
  fanout(topic: string, body: string): Promise<void>;
  /**
   * Publishes a notification where the transport's notification consumers read
   * them: on a broker, oslo.messaging's notification queue of that name, which
   * keeps messages until a consumer comes. A transport without it (memory://)
   * has its notifications fanned out to whoever listens now.
   */
  notify?(topic: string, body: string): Promise<void>;
  close(): Promise<void>;
}
