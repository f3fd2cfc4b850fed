/**
 * Refreshes a server's network info cache (Nova's instance_info_caches, our
 * instances.network_info) from the network service: what Nova does when
 * Neutron sends `network-changed`, so addresses shown by the API follow
 * floating IP association. The VIFs come from the network service as they are
 * now; a server that is gone or deleted is left alone.
 */
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { NetworkClient } from './clients.js';
import type { ComputeDb } from './db/tables.js';

export interface NetworkInfoCacheDeps {
  db: ComputeDb;
  network: Pick<NetworkClient, 'networkInfoForInstance'>;
  logger: Logger;
}

export async function refreshNetworkInfoCache(deps: NetworkInfoCacheDeps, instanceUuid: string): Promise<void> {
  const vifs = await deps.network.networkInfoForInstance(instanceUuid);
  // The version moves (rendered views are cached by it); updated_at does not, as Nova's info cache is not the instance.
  await deps.db.updateTable('instances').set({ network_info: JSON.stringify(vifs), version: sql<number>`version + 1` })
    .where('uuid', '=', instanceUuid).where('deleted', '=', 0).execute();
  deps.logger.debug({ instance_uuid: instanceUuid, ports: vifs.map((v) => v.id) }, 'network info cache refreshed');
}

/**
 * Nova's handling of Neutron's `network-changed` events: each named server's
 * cache is refreshed once, one server's failure logged without stopping the others.
 */
export async function applyNetworkChanged(deps: NetworkInfoCacheDeps, events: ReadonlyArray<{ server_uuid: string }>): Promise<void> {
  for (const uuid of new Set(events.map((e) => e.server_uuid))) {
    await refreshNetworkInfoCache(deps, uuid).catch((err: unknown) => deps.logger.warn({ err, instance_uuid: uuid }, 'could not refresh the network info cache'));
  }
}
