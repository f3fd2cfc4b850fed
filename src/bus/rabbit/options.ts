/**
 * What the rabbit:// transport is tuned by, in milliseconds, and how the
 * [oslo_messaging_rabbit] section (seconds, oslo's names) maps onto it.
 */
import type { Logger } from 'pino';
import type { Config } from '../../conf/options.js';

export interface RabbitOptions {
  /** The topic exchange every RPC topic and notification queue is bound to. */
  controlExchange: string;
  durableQueues: boolean;
  /** Dead-peer detection: 0 disables heartbeats. */
  heartbeatTimeoutThresholdMs: number;
  retryIntervalMs: number;
  retryBackoffMs: number;
  intervalMaxMs: number;
  prefetchCount: number;
  /** How long a send or listen waits for a lost connection to come back. */
  sendTimeoutMs: number;
  logger?: Logger;
}

export const DEFAULT_RABBIT_OPTIONS: RabbitOptions = {
  controlExchange: 'nova',
  durableQueues: false,
  heartbeatTimeoutThresholdMs: 60_000,
  retryIntervalMs: 1000,
  retryBackoffMs: 2000,
  intervalMaxMs: 30_000,
  prefetchCount: 64,
  sendTimeoutMs: 60_000,
};

export function rabbitOptionsFromConf(conf: Config, logger?: Logger): RabbitOptions {
  const r = conf.oslo_messaging_rabbit;
  return {
    controlExchange: conf.DEFAULT.control_exchange,
    durableQueues: r.amqp_durable_queues,
    heartbeatTimeoutThresholdMs: r.heartbeat_timeout_threshold * 1000,
    retryIntervalMs: r.rabbit_retry_interval * 1000,
    retryBackoffMs: r.rabbit_retry_backoff * 1000,
    intervalMaxMs: r.rabbit_interval_max * 1000,
    prefetchCount: r.rabbit_qos_prefetch_count,
    sendTimeoutMs: r.send_timeout * 1000,
    logger,
  };
}

/**
 * The wait before reconnection round `attempt` (1, 2, ...): oslo hands kombu
 * interval_start=rabbit_retry_interval, interval_step=rabbit_retry_backoff and
 * interval_max=rabbit_interval_max, which grow the wait by a fixed step per
 * round up to the cap.
 */
export function reconnectDelayMs(o: Pick<RabbitOptions, 'retryIntervalMs' | 'retryBackoffMs' | 'intervalMaxMs'>, attempt: number): number {
  return Math.min(o.retryIntervalMs + o.retryBackoffMs * Math.max(0, attempt - 1), o.intervalMaxMs);
}
