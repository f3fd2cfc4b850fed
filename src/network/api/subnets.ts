/** /v2.0/subnets */
import type { FastifyInstance } from 'fastify';
import type { AuthContext } from '../../http/auth.js';
import type { PolicyTarget } from '../../policy/types.js';
import { SUBNET_LISTING } from '../subnets.js';
import { parseListRequest } from '../listing.js';
import { invalidAttribute, subnetNotFound } from '../errors.js';
import { ADMIN_SCOPE, scopeOf, type AllocationPool, type HostRoute, type SubnetCreate, type SubnetUpdate } from '../model.js';
import type { NetworkRow, SubnetRow } from '../tables.js';
import {
  bool, checkKeys, int, requireAttrs, list, obj, onlyEmptyList, onlyNull, owningProject, resourceItems, str, tagList, type Body,
} from './attributes.js';
import { enforce } from './policy.js';
import { selectFields, subnetView } from './views.js';
import { fieldsOf, pageLinks, type NetworkApiContext } from './common.js';

const CREATE_ATTRS = new Set([
  'name', 'description', 'network_id', 'ip_version', 'cidr', 'gateway_ip', 'allocation_pools', 'enable_dhcp',
  'dns_nameservers', 'host_routes', 'tenant_id', 'project_id', 'tags', 'subnetpool_id', 'ipv6_ra_mode',
  'ipv6_address_mode', 'service_types', 'segment_id',
]);
const UPDATE_ATTRS = new Set(['name', 'description', 'gateway_ip', 'allocation_pools', 'enable_dhcp', 'dns_nameservers', 'host_routes']);
const READ_ONLY = new Set([
  'id', 'network_id', 'ip_version', 'cidr', 'tenant_id', 'project_id', 'created_at', 'updated_at', 'revision_number',
  'subnetpool_id', 'ipv6_ra_mode', 'ipv6_address_mode', 'service_types', 'segment_id', 'tags',
]);

export function subnetTarget(s: Pick<SubnetRow, 'project_id' | 'network_id'>, network: NetworkRow): PolicyTarget {
  return {
    project_id: s.project_id, tenant_id: s.project_id, network_id: s.network_id,
    'network:project_id': network.project_id, 'network:tenant_id': network.project_id, 'network:shared': network.shared === 1,
  };
}

function parsePools(v: unknown): AllocationPool[] {
  return list('allocation_pools', v).map((p) => {
    const pool = obj('allocation_pools', p);
    if (typeof pool.start !== 'string' || typeof pool.end !== 'string' || Object.keys(pool).length !== 2) {
      throw invalidAttribute('allocation_pools', `Invalid data format for IP pool: '${JSON.stringify(p)}'`);
    }
    return { start: pool.start, end: pool.end };
  });
}

function parseRoutes(v: unknown): HostRoute[] {
  return list('host_routes', v).map((r) => {
    const route = obj('host_routes', r);
    return { destination: str('host_routes', route.destination), nexthop: str('host_routes', route.nexthop) };
  });
}

function parseNameservers(v: unknown): string[] {
  return list('dns_nameservers', v).map((d) => str('dns_nameservers', d));
}

function parseGateway(v: unknown): string | null {
  return v === null ? null : str('gateway_ip', v);
}

function parseCreate(item: Body, auth: AuthContext): { input: SubnetCreate; tags: string[] } {
  checkKeys(item, CREATE_ATTRS, READ_ONLY, 'POST');
  requireAttrs(item, ['network_id', 'ip_version', 'cidr']);
  for (const attr of ['subnetpool_id', 'ipv6_ra_mode', 'ipv6_address_mode', 'segment_id']) {
    if (item[attr] !== undefined) onlyNull(attr, item[attr]);
  }
  if (item.service_types !== undefined) onlyEmptyList('service_types', item.service_types);
  const ipVersion = int('ip_version', item.ip_version);
  if (ipVersion !== 4 && ipVersion !== 6) throw invalidAttribute('ip_version', `'${ipVersion}' is not in [4, 6]`);
  return {
    input: {
      project_id: owningProject(item, auth),
      network_id: str('network_id', item.network_id),
      name: item.name === undefined ? '' : str('name', item.name),
      description: item.description === undefined ? '' : str('description', item.description),
      ip_version: ipVersion,
      cidr: str('cidr', item.cidr),
      gateway_ip: item.gateway_ip === undefined ? undefined : parseGateway(item.gateway_ip),
      allocation_pools: item.allocation_pools === undefined ? undefined : parsePools(item.allocation_pools),
      enable_dhcp: item.enable_dhcp === undefined ? true : bool('enable_dhcp', item.enable_dhcp),
      dns_nameservers: item.dns_nameservers === undefined ? [] : parseNameservers(item.dns_nameservers),
      host_routes: item.host_routes === undefined ? [] : parseRoutes(item.host_routes),
    },
    tags: item.tags === undefined ? [] : tagList(item.tags),
  };
}

function parseUpdate(item: Body): SubnetUpdate {
  checkKeys(item, UPDATE_ATTRS, READ_ONLY, 'PUT');
  const patch: SubnetUpdate = {};
  if (item.name !== undefined) patch.name = str('name', item.name);
  if (item.description !== undefined) patch.description = str('description', item.description);
  if (item.gateway_ip !== undefined) patch.gateway_ip = parseGateway(item.gateway_ip);
  if (item.allocation_pools !== undefined) patch.allocation_pools = parsePools(item.allocation_pools);
  if (item.enable_dhcp !== undefined) patch.enable_dhcp = bool('enable_dhcp', item.enable_dhcp);
  if (item.dns_nameservers !== undefined) patch.dns_nameservers = parseNameservers(item.dns_nameservers);
  if (item.host_routes !== undefined) patch.host_routes = parseRoutes(item.host_routes);
  return patch;
}

export function registerSubnetRoutes(app: FastifyInstance, ctx: NetworkApiContext): void {
  const { network: svc, policy } = ctx;

  const networksOf = async (networkIds: string[]) => {
    const out = new Map<string, NetworkRow>();
    for (const id of [...new Set(networkIds)]) out.set(id, await svc.networks.getRow(ADMIN_SCOPE, id));
    return out;
  };

  const lookup = async (auth: AuthContext, id: string) => {
    const row = await svc.subnets.getRow(scopeOf(auth), id);
    const network = await svc.networks.getRow(ADMIN_SCOPE, row.network_id);
    if (!policy.allowed('get_subnet', subnetTarget(row, network), auth)) throw subnetNotFound(id);
    return { row, network };
  };

  app.get('/subnets', async (request) => {
    const query = request.query as Record<string, unknown>;
    const req = parseListRequest(query, SUBNET_LISTING);
    const { records, hasMore } = await svc.subnets.list(scopeOf(request.auth), req);
    const networks = await networksOf(records.map((r) => r.subnet.network_id));
    const fields = fieldsOf(query);
    const shown = records.filter((r) => policy.allowed('get_subnet', subnetTarget(r.subnet, networks.get(r.subnet.network_id)!), request.auth));
    const body: Record<string, unknown> = { subnets: shown.map((r) => selectFields(subnetView(r), fields)) };
    if (req.limit !== undefined) body.subnets_links = pageLinks(request, req, records.map((r) => r.subnet), hasMore);
    return body;
  });

  app.get('/subnets/:id', async (request) => {
    const { id } = request.params as { id: string };
    await lookup(request.auth, id);
    const rec = await svc.subnets.get(ADMIN_SCOPE, id);
    return { subnet: selectFields(subnetView(rec), fieldsOf(request.query as Record<string, unknown>)) };
  });

  app.post('/subnets', async (request, reply) => {
    const { items, bulk } = resourceItems(request.body, 'subnet', 'subnets');
    const parsed = items.map((item) => parseCreate(item, request.auth));
    const scope = scopeOf(request.auth);
    for (const { input } of parsed) {
      // The network must be one the caller can see; otherwise it does not exist for them.
      const network = await svc.networks.getRow(scope, input.network_id);
      enforce(policy, 'create_subnet', subnetTarget(input, network), request.auth);
    }
    const created = await svc.subnets.create(parsed.map((p) => p.input));
    for (const [i, rec] of created.entries()) {
      const tags = parsed[i]!.tags;
      if (tags.length > 0) {
        await svc.replaceTags(rec.subnet.id, tags);
        rec.tags = [...new Set(tags)].sort();
      }
    }
    reply.code(201);
    return bulk ? { subnets: created.map(subnetView) } : { subnet: subnetView(created[0]!) };
  });

  app.put('/subnets/:id', async (request) => {
    const { id } = request.params as { id: string };
    const { items } = resourceItems(request.body, 'subnet', '\0');
    const patch = parseUpdate(items[0]!);
    const { row, network } = await lookup(request.auth, id);
    enforce(policy, 'update_subnet', subnetTarget(row, network), request.auth);
    return { subnet: subnetView(await svc.subnets.update(row, patch)) };
  });

  app.delete('/subnets/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const { row, network } = await lookup(request.auth, id);
    enforce(policy, 'delete_subnet', subnetTarget(row, network), request.auth);
    await svc.subnets.delete(id);
    return reply.code(204).send();
  });
}
