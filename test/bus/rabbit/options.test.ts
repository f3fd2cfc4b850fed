/**
 * [oslo_messaging_rabbit] and [DEFAULT] control_exchange reach the rabbit://
 * transport, and reconnection waits grow as oslo's (through kombu) do.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../src/conf/loader.js';
import { reconnectDelayMs, rabbitOptionsFromConf } from '../../../src/bus/rabbit/options.js';

describe('rabbit:// options', () => {
  test('oslo\'s defaults: nova exchange, 60 s heartbeat threshold, 1 s + 2 s steps up to 30 s', () => {
    const o = rabbitOptionsFromConf(loadConfig({ env: {} }));
    assert.equal(o.controlExchange, 'nova');
    assert.equal(o.heartbeatTimeoutThresholdMs, 60_000);
    assert.deepEqual([o.retryIntervalMs, o.retryBackoffMs, o.intervalMaxMs], [1000, 2000, 30_000]);
    assert.equal(o.durableQueues, false);
    assert.ok(o.prefetchCount > 0, 'prefetch is bounded');
  });

  test('environment overrides reach the transport in milliseconds', () => {
    const o = rabbitOptionsFromConf(loadConfig({
      env: {
        KILONOVA_DEFAULT__CONTROL_EXCHANGE: 'openstack',
        KILONOVA_OSLO_MESSAGING_RABBIT__HEARTBEAT_TIMEOUT_THRESHOLD: '10',
        KILONOVA_OSLO_MESSAGING_RABBIT__RABBIT_QOS_PREFETCH_COUNT: '5',
        KILONOVA_OSLO_MESSAGING_RABBIT__SEND_TIMEOUT: '7',
        KILONOVA_OSLO_MESSAGING_RABBIT__AMQP_DURABLE_QUEUES: 'true',
      },
    }));
    assert.equal(o.controlExchange, 'openstack');
    assert.equal(o.heartbeatTimeoutThresholdMs, 10_000);
    assert.equal(o.prefetchCount, 5);
    assert.equal(o.sendTimeoutMs, 7000);
    assert.equal(o.durableQueues, true);
  });

  test('the wait between reconnection rounds grows by the backoff step and stops at the maximum', () => {
    const o = { retryIntervalMs: 1000, retryBackoffMs: 2000, intervalMaxMs: 30_000 };
    assert.deepEqual([1, 2, 3, 4, 15, 16, 100].map((n) => reconnectDelayMs(o, n)), [1000, 3000, 5000, 7000, 29_000, 30_000, 30_000]);
  });
});
