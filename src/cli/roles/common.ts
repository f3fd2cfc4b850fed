/**
 * What every role of the cloud opens the same way, in the all-in-one and in
 * a service process alike: the bus with its RPC client and notifiers, and the
 * stack of clean-ups that stops them in reverse. The database is in
 * database.ts, which a compute process never loads.
 */
import type { Logger } from 'pino';
import type { Config } from '../../conf/options.js';
import { openTransport, UnsupportedTransportUrl } from '../../bus/transports.js';
import { RabbitUnavailable } from '../../bus/rabbit/transport.js';
import type { Transport } from '../../bus/transport.js';
import { RpcClient } from '../../bus/rpc.js';
import { Notifier, notificationsEnabled } from '../../bus/notifier.js';
import { StartupError } from '../startup-error.js';

export { StartupError };

/** Stops what a start opened, last first; a failing stop is logged and the rest still run. */
export class Cleanups {
  private readonly steps: Array<() => Promise<unknown> | unknown> = [];
  constructor(private readonly logger: Logger) {}
  push(step: () => Promise<unknown> | unknown): void {
    this.steps.push(step);
  }
  readonly closeAll = async (): Promise<void> => {
    for (const c of this.steps.splice(0).reverse()) await Promise.resolve(c()).catch((err) => this.logger.warn({ err }, 'error while stopping'));
  };
}

export interface Bus {
  transport: Transport;
  rpc: RpcClient;
  notifierFor(publisherId: string): Notifier;
}

export async function openBus(conf: Config, logger: Logger, cleanups: Cleanups): Promise<Bus> {
  let transport: Transport;
  try {
    transport = openTransport(conf.DEFAULT.transport_url, { conf, logger: logger.child({ service: 'bus' }) });
  } catch (err) {
    throw err instanceof UnsupportedTransportUrl ? new StartupError(err.message) : err;
  }
  cleanups.push(() => transport.close());
  const rpc = new RpcClient(transport, conf.DEFAULT.rpc_response_timeout * 1000);
  // The first use of the bus: a broker that stays unreachable past [oslo_messaging_rabbit] send_timeout ends the start.
  await rpc.start().catch((err: unknown) => {
    throw err instanceof RabbitUnavailable ? new StartupError(`[DEFAULT] transport_url: ${err.message}`) : err;
  });
  cleanups.push(() => rpc.close());
  const sendsNotifications = notificationsEnabled(conf.oslo_messaging_notifications.driver, transport);
  return { transport, rpc, notifierFor: (publisherId) => new Notifier(transport, publisherId, sendsNotifications) };
}
