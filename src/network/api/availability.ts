/**
 * The read-only collections clients consult about the service itself:
 * network IP availability (admin), availability zones, and service providers.
 */
import type { FastifyInstance } from 'fastify';
import { BadRequest } from '../../errors.js';
import type { AvailabilityFilter, NetworkAvailability } from '../ip-availability.js';
import { networkNotFound } from '../errors.js';
import { enforce } from './policy.js';
import { DEFAULT_AVAILABILITY_ZONE, selectFields, type View } from './views.js';
import { fieldsOf, type NetworkApiContext } from './common.js';

const values = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

function availabilityFilter(query: Record<string, unknown>): AvailabilityFilter {
  const f: AvailabilityFilter = {};
  for (const [key, raw] of Object.entries(query)) {
    if (key === 'fields') continue;
    const vs = values(raw);
    switch (key) {
      case 'network_id': f.network_id = vs; break;
      case 'network_name': f.network_name = vs; break;
      case 'project_id': case 'tenant_id': f.project_id = [...(f.project_id ?? []), ...vs]; break;
      case 'ip_version':
        if (!vs.every((v) => /^\d+$/.test(v))) throw new BadRequest(`Invalid input for ip_version. Reason: '${vs.join(',')}' is not an integer.`);
        f.ip_version = vs.map(Number);
        break;
      default: throw new BadRequest(`[${key}] is invalid attribute for filtering`);
    }
  }
  return f;
}

function availabilityView(a: NetworkAvailability): View {
  return {
    network_id: a.network_id, network_name: a.network_name, tenant_id: a.project_id, project_id: a.project_id,
    total_ips: a.total_ips, used_ips: a.used_ips, subnet_ip_availability: a.subnet_ip_availability,
  };
}

/** The one zone there is, for both kinds of resource Neutron places in zones. */
const ZONES = ['network', 'router'].map((resource) => ({ name: DEFAULT_AVAILABILITY_ZONE, resource, state: 'available' }));

/** Routers here are single-node (no HA, no DVR), Neutron's single_node L3 provider. */
const SERVICE_PROVIDERS = [{ service_type: 'L3_ROUTER_NAT', name: 'single_node', default: true }];

/** Neutron's plain attribute filtering of an in-memory collection, with its refusal of unknown attributes. */
function filtered<T extends Record<string, unknown>>(items: readonly T[], query: Record<string, unknown>, attrs: readonly string[]): View[] {
  let out: T[] = [...items];
  for (const [key, raw] of Object.entries(query)) {
    if (key === 'fields') continue;
    if (!attrs.includes(key)) throw new BadRequest(`[${key}] is invalid attribute for filtering`);
    const vs = values(raw);
    out = out.filter((item) => vs.includes(String(item[key])));
  }
  return out.map((item) => selectFields(item, fieldsOf(query)));
}

export function registerAvailabilityRoutes(app: FastifyInstance, ctx: NetworkApiContext): void {
  const { network: svc, policy } = ctx;

  app.get('/network-ip-availabilities', async (request) => {
    enforce(policy, 'get_network_ip_availability', {}, request.auth);
    const query = request.query as Record<string, unknown>;
    const list = await svc.ipAvailabilities(availabilityFilter(query));
    return { network_ip_availabilities: list.map((a) => selectFields(availabilityView(a), fieldsOf(query))) };
  });

  app.get('/network-ip-availabilities/:id', async (request) => {
    enforce(policy, 'get_network_ip_availability', {}, request.auth);
    const { id } = request.params as { id: string };
    const [one] = await svc.ipAvailabilities({ network_id: [id] });
    if (!one) throw networkNotFound(id);
    return { network_ip_availability: selectFields(availabilityView(one), fieldsOf(request.query as Record<string, unknown>)) };
  });

  app.get('/availability_zones', async (request) => {
    enforce(policy, 'get_availability_zone', {}, request.auth);
    return { availability_zones: filtered(ZONES, request.query as Record<string, unknown>, ['name', 'resource', 'state']) };
  });

  app.get('/service-providers', async (request) => {
    enforce(policy, 'get_service_provider', {}, request.auth);
    return { service_providers: filtered(SERVICE_PROVIDERS, request.query as Record<string, unknown>, ['service_type', 'name', 'default']) };
  });
}
