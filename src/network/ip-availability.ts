/**
 * Network IP availability (Neutron's network-ip-availability extension): per
 * network and subnet, how many addresses the allocation pools hold and how
 * many are allocated.
 */
import { sql } from 'kysely';
import type { NetworkDb } from './tables.js';
import { parseIpv4 } from './ipv4.js';
import { poolsOf } from './ipam.js';

export interface SubnetAvailability {
  subnet_id: string;
  subnet_name: string;
  cidr: string;
  ip_version: number;
  total_ips: number;
  used_ips: number;
}

export interface NetworkAvailability {
  network_id: string;
  network_name: string;
  project_id: string;
  total_ips: number;
  used_ips: number;
  subnet_ip_availability: SubnetAvailability[];
}

/** Neutron's filters for this collection; any other query key is ignored there, refused here by the caller. */
export interface AvailabilityFilter {
  network_id?: string[];
  network_name?: string[];
  project_id?: string[];
  ip_version?: number[];
}

export async function networkIpAvailabilities(db: NetworkDb, filter: AvailabilityFilter): Promise<NetworkAvailability[]> {
  let nq = db.selectFrom('neutron_networks').select(['id', 'name', 'project_id']).orderBy('created_at').orderBy('id');
  if (filter.network_id) nq = nq.where('id', 'in', filter.network_id);
  if (filter.network_name) nq = nq.where('name', 'in', filter.network_name);
  if (filter.project_id) nq = nq.where('project_id', 'in', filter.project_id);
  const networks = await nq.execute();
  if (networks.length === 0) return [];
  const ids = networks.map((n) => n.id);
  let sq = db.selectFrom('neutron_subnets').selectAll().where('network_id', 'in', ids).orderBy('created_at').orderBy('id');
  if (filter.ip_version) sq = sq.where('ip_version', 'in', filter.ip_version);
  const subnets = await sq.execute();
  const used = new Map((await db.selectFrom('neutron_ip_allocations')
    .select(['subnet_id', sql<number>`count(*)`.as('n')]).where('network_id', 'in', ids).groupBy('subnet_id').execute())
    .map((r) => [r.subnet_id, Number(r.n)]));
  const out: NetworkAvailability[] = [];
  for (const n of networks) {
    const mine = subnets.filter((s) => s.network_id === n.id);
    // Neutron leaves out a network with no subnet of the asked ip_version.
    if (filter.ip_version && mine.length === 0) continue;
    const subnetRows = mine.map((s) => ({
      subnet_id: s.id, subnet_name: s.name, cidr: s.cidr, ip_version: s.ip_version,
      total_ips: poolsOf(s).reduce((sum, p) => sum + (parseIpv4(p.end)! - parseIpv4(p.start)! + 1), 0),
      used_ips: used.get(s.id) ?? 0,
    }));
    out.push({
      network_id: n.id, network_name: n.name, project_id: n.project_id,
      total_ips: subnetRows.reduce((sum, s) => sum + s.total_ips, 0),
      used_ips: subnetRows.reduce((sum, s) => sum + s.used_ips, 0),
      subnet_ip_availability: subnetRows,
    });
  }
  return out;
}
