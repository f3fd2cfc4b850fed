/**
 * /os-availability-zone: compute services are in their aggregate's zone or
 * the default one, the control-plane services in "internal" (shown only in
 * the detail view). A zone is available when one of its enabled services is up.
 */
import type { FastifyInstance } from 'fastify';
import { INTERNAL_ZONE, servicesWithZones } from '../availability-zones.js';
import type { ComputeApiDeps } from './deps.js';
import { novaTimestamp } from './views/keypairs.js';
import { API_BINARIES, isServiceUp, type ServiceRow } from './views/services.js';

interface Zone {
  name: string;
  available: boolean;
  services: ServiceRow[];
}

export function registerAvailabilityZoneRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { db, policy, conf } = deps;

  async function zones(): Promise<Zone[]> {
    const rows = await servicesWithZones(db, conf, API_BINARIES);
    const now = Date.now();
    const byName = new Map<string, Zone>();
    for (const s of rows) {
      const name = s.zone;
      const zone = byName.get(name) ?? { name, available: false, services: [] };
      byName.set(name, zone);
      if (s.disabled) continue;
      zone.services.push(s);
      if (isServiceUp(s, conf, now)) zone.available = true;
    }
    const all = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
    return [...all.filter((z) => z.available), ...all.filter((z) => !z.available)];
  }

  app.get('/os-availability-zone', async (request) => {
    policy.authorize('os_compute_api:os-availability-zone:list', {}, request.auth);
    return {
      availabilityZoneInfo: (await zones())
        .filter((z) => z.name !== INTERNAL_ZONE)
        .map((z) => ({ zoneName: z.name, zoneState: { available: z.available }, hosts: null })),
    };
  });

  app.get('/os-availability-zone/detail', async (request) => {
    policy.authorize('os_compute_api:os-availability-zone:detail', {}, request.auth);
    const now = Date.now();
    return {
      availabilityZoneInfo: (await zones()).map((z) => {
        if (!z.available) return { zoneName: z.name, zoneState: { available: false }, hosts: null };
        const hosts: Record<string, Record<string, unknown>> = {};
        for (const s of z.services) {
          hosts[s.host] ??= {};
          hosts[s.host][s.binary] = { available: isServiceUp(s, conf, now), active: !s.disabled, updated_at: novaTimestamp(s.updated_at) };
        }
        return { zoneName: z.name, zoneState: { available: true }, hosts };
      }),
    };
  });
}
