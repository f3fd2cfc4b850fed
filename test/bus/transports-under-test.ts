/**
 * Every bus transport, for the suites that run against each of them (the
 * transport contract, RPC). A new transport adds one entry here; the tests
 * never change.
 */
import { MemoryTransport } from '../../src/bus/memory/transport.js';
import { RabbitTransport } from '../../src/bus/rabbit/transport.js';
import type { Transport } from '../../src/bus/transport.js';
import { createTestVhost, rabbitSkipReason, type TestVhost } from './broker.js';

export interface TransportUnderTest {
  name: string;
  /** Set when this implementation cannot run here: the reason. */
  skip?: string;
  /** Once per suite, before and after every open(). */
  setup(): Promise<void>;
  teardown(): Promise<void>;
  open(): Promise<Transport>;
  /**
   * How long to watch for a message that must NOT arrive. A broker needs
   * longer than memory:// to be believed when it says "nothing came".
   */
  quietMs: number;
}

export async function transportsUnderTest(): Promise<TransportUnderTest[]> {
  let vhost: TestVhost | undefined;
  return [
    {
      name: 'memory',
      setup: async () => undefined,
      teardown: async () => undefined,
      open: async () => new MemoryTransport('memory://'),
      quietMs: 50,
    },
    {
      name: 'rabbit',
      skip: await rabbitSkipReason(),
      setup: async () => { vhost = await createTestVhost(); },
      teardown: async () => { await vhost?.remove(); },
      open: async () => {
        if (!vhost) throw new Error('setup() first');
        return new RabbitTransport(vhost.url, { retryIntervalMs: 100, retryBackoffMs: 100, intervalMaxMs: 1000, sendTimeoutMs: 10_000 });
      },
      quietMs: 300,
    },
  ];
}
