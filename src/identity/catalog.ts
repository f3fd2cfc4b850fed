/**
 * The service catalog, derived from the one public base URL known once the
 * HTTP server listens. Ids are derived from what they name, so every process
 * hands out the same ids for the same catalog without storing it.
 */
import { createHash } from 'node:crypto';

export interface CatalogEndpoint {
  id: string;
  interface: 'public' | 'internal' | 'admin';
  region: string;
  region_id: string;
  url: string;
}

export interface CatalogService {
  id: string;
  type: string;
  name: string;
  endpoints: CatalogEndpoint[];
}

const SERVICES: ReadonlyArray<{ type: string; name: string; path: string; description: string }> = [
  { type: 'identity', name: 'keystone', path: '/identity', description: 'Identity' },
  { type: 'compute', name: 'nova', path: '/compute/v2.1', description: 'Compute' },
  { type: 'image', name: 'glance', path: '/image', description: 'Image' },
  { type: 'network', name: 'neutron', path: '/network', description: 'Networking' },
  { type: 'placement', name: 'placement', path: '/placement', description: 'Placement' },
];

const INTERFACES = ['public', 'internal', 'admin'] as const;

function stableId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 32);
}

export function buildCatalog(baseUrl: string, region: string): CatalogService[] {
  const base = baseUrl.replace(/\/+$/, '');
  return SERVICES.map((s) => ({
    id: stableId('service', s.type),
    type: s.type,
    name: s.name,
    endpoints: INTERFACES.map((iface) => ({
      id: stableId('endpoint', s.type, iface, region),
      interface: iface,
      region,
      region_id: region,
      url: `${base}${s.path}`,
    })),
  }));
}

export function serviceDescription(type: string): string {
  return SERVICES.find((s) => s.type === type)?.description ?? '';
}
