/** A network service on a fresh database of the given target, with its migrations applied. */
import type { Kysely } from 'kysely';
import { syncDatabase } from '../../src/db/migrate.js';
import { networkMigrations } from '../../src/network/migrations.js';
import { NetworkService, type NetworkServiceOptions } from '../../src/network/service.js';
import { ADMIN_SCOPE } from '../../src/network/model.js';
import type { DatabaseTarget } from '../helpers/databases.js';
import { testLogger } from '../helpers/logger.js';

export interface NetworkFixture {
  svc: NetworkService;
  db: Kysely<any>;
  dispose(): Promise<void>;
}

/** `opts`: service options beyond the database and logger (e.g. quotas). */
export async function openNetworkService(target: DatabaseTarget, opts: Partial<NetworkServiceOptions> = {}): Promise<NetworkFixture> {
  const handle = await target.open();
  await syncDatabase(handle.db, [networkMigrations]);
  const svc = new NetworkService({ ...opts, db: handle.db, logger: testLogger });
  return { svc, db: handle.db, dispose: () => handle.dispose() };
}

/** A network with one subnet, owned by `projectId`. */
export async function makeNetwork(
  svc: NetworkService,
  opts: { projectId?: string; cidr?: string; shared?: boolean; name?: string; pools?: { start: string; end: string }[]; gateway?: string | null } = {},
) {
  const projectId = opts.projectId ?? 'p1';
  const [net] = await svc.networks.create([{
    project_id: projectId, name: opts.name ?? 'net', description: '', admin_state_up: true,
    shared: opts.shared ?? false, port_security_enabled: true, router_external: false,
  }]);
  const [sub] = await svc.subnets.create([{
    project_id: projectId, network_id: net!.network.id, name: 'sub', description: '', ip_version: 4,
    cidr: opts.cidr ?? '10.1.0.0/24', gateway_ip: opts.gateway, allocation_pools: opts.pools,
    enable_dhcp: true, dns_nameservers: [], host_routes: [],
  }]);
  return { networkId: net!.network.id, subnetId: sub!.subnet.id };
}

export function portInput(networkId: string, extra: Record<string, unknown> = {}) {
  return {
    project_id: 'p1', network_id: networkId, name: '', description: '', admin_state_up: true,
    device_id: '', device_owner: '', binding_host_id: '', binding_vnic_type: 'normal', binding_profile: {},
    port_security_enabled: true, ...extra,
  };
}

export { ADMIN_SCOPE };
