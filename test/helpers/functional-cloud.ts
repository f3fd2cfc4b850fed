/**
 * The cloud a functional test drives through its public APIs, in the topology
 * the test run asks for (KILONOVA_TEST_TOPOLOGY): the all-in-one in this
 * process (the default), or `services`: `kilonova api`, `conductor`,
 * `scheduler` and one `kilonova compute` per fake host as separate processes
 * over RabbitMQ and PostgreSQL (startServiceCloud). scripts/run-tests.mjs runs
 * every file that imports this module in both, so one test file is the test
 * of both topologies; its suite titles name the topology a failure was in.
 */
import type { Overrides } from '../../src/conf/loader.js';
import { openTransport } from '../../src/bus/transports.js';
import { NOTIFICATION_TOPIC } from '../../src/bus/notifier.js';
import type { Transport } from '../../src/bus/transport.js';
import { startTestCloud, type CloudClient, type TestCloud } from './cloud.js';
import { startServiceCloud, type Sections } from './service-cloud.js';
import { postgresAvailable } from './databases.js';
import { rabbitSkipReason } from '../bus/broker.js';

export type Topology = 'all-in-one' | 'services';

export const TOPOLOGY: Topology = process.env.KILONOVA_TEST_TOPOLOGY === 'services' ? 'services' : 'all-in-one';

export interface FunctionalCloud extends CloudClient {
  topology: Topology;
  /** The cloud in this process, in the all-in-one topology only: for the tests inProcessOnly marks. */
  allInOne?: TestCloud;
  /**
   * Every versioned notification (info and error) from now on, read where an
   * OpenStack consumer reads them: the in-process bus of the all-in-one, the
   * broker's notification queues of the services.
   */
  collectNotifications(): Promise<NotificationLog>;
  close(): Promise<void>;
}

export interface ReceivedNotification {
  event_type: string;
  payload: any;
  context: { request_id: string };
}

/** The notifications received so far; over a broker they arrive after the API has answered. */
export class NotificationLog {
  readonly received: ReceivedNotification[] = [];

  of(requestId: string | null): ReceivedNotification[] {
    return this.received.filter((n) => n.context.request_id === requestId);
  }

  /** The event types of the request's notifications, once at least `count` have come (or the deadline passed). */
  async eventTypesOf(requestId: string | null, count: number, timeoutMs = 10_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.of(requestId).length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    return this.of(requestId).map((n) => n.event_type);
  }
}

export interface FunctionalCloudOptions {
  /** Compute hosts (default 1, as the all-in-one): fake hosts in process, or that many compute processes. */
  fakeHosts?: number;
}

/** Overrides as conf sections, for the service processes' kilonova.conf files. */
function sectionsOf(overrides: Overrides): Sections {
  const out: Sections = {};
  for (const [name, opts] of Object.entries(overrides)) {
    out[name] = Object.fromEntries(Object.entries(opts ?? {}).map(([k, v]) => [k, String(v)]));
  }
  return out;
}

const NOTIFICATION_PRIORITIES = ['info', 'error'] as const;

/**
 * The cloud in this run's topology, with the overrides (conf sections) given:
 * in the services topology every process gets them, so an option means there
 * what it means in the all-in-one whichever service reads it.
 */
export async function startFunctionalCloud(overrides: Overrides = {}, opts: FunctionalCloudOptions = {}): Promise<FunctionalCloud> {
  if (TOPOLOGY === 'all-in-one') {
    const cloud = await startTestCloud(overrides, opts);
    return {
      ...cloud,
      topology: TOPOLOGY,
      allInOne: cloud,
      async collectNotifications() {
        const log = new NotificationLog();
        for (const p of NOTIFICATION_PRIORITIES) {
          await cloud.transport.listenFanout(`${NOTIFICATION_TOPIC}.${p}`, (b) => void log.received.push(JSON.parse(b)));
        }
        return log;
      },
      close: () => cloud.close(),
    };
  }

  const sections = sectionsOf(overrides);
  // Over a broker notifications are sent only when asked for (as oslo.messaging's default).
  const notifications: Sections = { oslo_messaging_notifications: { driver: 'messagingv2' } };
  const cloud = await startServiceCloud({
    computes: opts.fakeHosts ?? 1,
    controller: { ...notifications, ...sections },
    compute: { ...notifications, ...sections },
  });
  let consumer: Transport | undefined;
  return {
    ...cloud,
    topology: TOPOLOGY,
    async collectNotifications() {
      // The notification queues are competing consumers: one log takes them all.
      if (consumer) throw new Error('collectNotifications: one collector per service cloud');
      consumer = openTransport(cloud.transportUrl);
      const log = new NotificationLog();
      for (const p of NOTIFICATION_PRIORITIES) {
        await consumer.listen(`${NOTIFICATION_TOPIC}.${p}`, (b) => void log.received.push(JSON.parse(b)));
      }
      return log;
    },
    async close() {
      try {
        await consumer?.close();
      } finally {
        const codes = await cloud.close();
        const failed = Object.entries(codes).filter(([, code]) => code !== 0);
        if (failed.length > 0) throw new Error(`service processes did not stop cleanly: ${failed.map(([n, c]) => `${n} exited ${c}`).join(', ')}`);
      }
    },
  };
}

/** Why this topology cannot run here (off CI, without RabbitMQ or PostgreSQL), or undefined. */
async function topologySkipReason(): Promise<string | undefined> {
  if (TOPOLOGY === 'all-in-one') return undefined;
  return (await rabbitSkipReason())
    ?? (!(await postgresAvailable()) && process.env.CI !== 'true' ? 'PostgreSQL does not answer (the service processes share it)' : undefined);
}

const skipReason = await topologySkipReason();

/**
 * A functional suite's title and options: the title names the topology, and
 * the suite is skipped, with the reason, where the topology cannot run.
 */
export function functionalSuite(title: string): [string, { skip?: string }] {
  return [`${title} [${TOPOLOGY}]`, skipReason ? { skip: skipReason } : {}];
}

/**
 * Options for a test that needs the cloud in this process (the fake driver's
 * call log, fault injection): skipped in the services topology, with why.
 */
export function inProcessOnly(why: string): { skip?: string } {
  return TOPOLOGY === 'services' ? { skip: `needs the all-in-one in this process: ${why}` } : {};
}
