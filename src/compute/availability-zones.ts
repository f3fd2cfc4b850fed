/**
 * Availability zones (Nova's nova/availability_zones.py): a compute host is in
 * the zone its aggregates give it, else in [DEFAULT] default_availability_zone;
 * every other service is in "internal".
 */
import type { Config } from '../conf/options.js';
import { hostZones } from './aggregate-store.js';
import type { ComputeDb } from './db/tables.js';
import { liveServices, type HostServiceRow } from './host-store.js';

export const INTERNAL_ZONE = 'internal';

/** A function giving each service its zone, read once for a whole listing. */
export type ZoneOf = (s: Pick<HostServiceRow, 'binary' | 'host'>) => string;

export async function zoneResolver(db: ComputeDb, conf: Config): Promise<ZoneOf> {
  const zones = await hostZones(db);
  const fallback = conf.DEFAULT.default_availability_zone;
  return (s) => (s.binary === 'nova-compute' ? zones.get(s.host) ?? fallback : INTERNAL_ZONE);
}

/** The zone of one compute host. */
export async function hostZone(db: ComputeDb, conf: Config, host: string): Promise<string> {
  return (await hostZones(db, [host])).get(host) ?? conf.DEFAULT.default_availability_zone;
}

/** Zones with at least one enabled compute service: those a server may ask for. */
export async function availableZones(db: ComputeDb, conf: Config): Promise<Set<string>> {
  const zoneOf = await zoneResolver(db, conf);
  const computes = await liveServices(db, { enabledOnly: true });
  return new Set(computes.filter((s) => s.binary === 'nova-compute').map(zoneOf));
}

/** Every service that is not an API (those do not heartbeat), with its zone. */
export async function servicesWithZones(db: ComputeDb, conf: Config, hiddenBinaries: ReadonlySet<string>): Promise<Array<HostServiceRow & { zone: string }>> {
  const [zoneOf, services] = await Promise.all([zoneResolver(db, conf), liveServices(db)]);
  return services.filter((s) => !hiddenBinaries.has(s.binary)).map((s) => ({ ...s, zone: zoneOf(s) }));
}
