/**
 * Neutron's Nova notifier, for what changes a server's addresses: when a
 * floating IP is associated with, moved off or deleted from a server's port,
 * Nova is sent `network-changed` (tagged with the port) so it refreshes the
 * server's network info cache, where its API reads addresses from. Sent after
 * the change is stored and never awaited by the API call that made it, as
 * Neutron batches these; a failure is logged (Nova's periodic heal would
 * catch up in Nova; here the next change does).
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { FloatingIpStore } from './floating-ips.js';
import type { NetworkDb } from './tables.js';

export interface NovaServerEvent {
  name: 'network-changed';
  server_uuid: string;
  /** the port whose network info changed */
  tag: string;
}

/** Where events for Nova go (its os-server-external-events, in-process or over HTTP). */
export type NovaEventSink = (events: NovaServerEvent[]) => Promise<void>;

/** Only ports of servers (device_owner compute:*) concern Nova. */
async function serverEvents(db: NetworkDb, portIds: readonly string[]): Promise<NovaServerEvent[]> {
  const rows = await db.selectFrom('neutron_ports').select(['id', 'device_id'])
    .where('id', 'in', [...portIds]).where('device_owner', 'like', 'compute:%').where('device_id', '!=', '').execute();
  return rows.map((r) => ({ name: 'network-changed', server_uuid: r.device_id, tag: r.id }));
}

export function notifyNovaOfFloatingIps(database: Kysely<any>, floatingIps: FloatingIpStore, sink: NovaEventSink, logger: Logger): void {
  const db = database as NetworkDb;
  floatingIps.onPortsChanged((portIds) => {
    void serverEvents(db, portIds)
      .then((events) => (events.length > 0 ? sink(events) : undefined))
      .catch((err: unknown) => logger.warn({ err, ports: portIds }, 'could not tell Nova that floating IPs changed'));
  });
}
