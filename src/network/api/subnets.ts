/** /v2.0/subnets */
import type { FastifyInstance } from 'fastify';
import type { AuthContext } from '../../http/auth.js';
import type { PolicyTarget } from '../../policy/types.js';
import { SUBNET_LISTING } from '../subnets.js';
import { parseListRequest } from '../listing.js';
import { subnetNotFound } from '../errors.js';
import { ADMIN_SCOPE, scopeOf, type HostRoute, type SubnetCreate, type SubnetUpdate } from '../model.js';
import type { NetworkRow, SubnetRow } from '../tables.js';
import { neutron, validate } from '../../http/validation.js';
import { asBool, asInt, owningProject, resourceItems, type Body } from './schemas/common.js';
import { subnetCreate, subnetUpdate } from './schemas/subnets.js';
import { enforce } from './policy.js';
import { selectFields, subnetView } from './views.js';
import { fieldsOf, pageLinks, tagCreated, type NetworkApiContext } from './common.js';

export function subnetTarget(s: Pick<SubnetRow, 'project_id' | 'network_id'>, network: NetworkRow): PolicyTarget {
  return {
    project_id: s.project_id, tenant_id: s.project_id, network_id: s.network_id,
    'network:project_id': network.project_id, 'network:tenant_id': network.project_id, 'network:shared': network.shared === 1,
  };
}

type Pool = { start: string; end: string };
type Route = { destination: string; nexthop: string };

function parseCreate(item: Body, auth: AuthContext): { input: SubnetCreate; tags: string[] } {
  validate(subnetCreate, item, neutron);
  return {
    input: {
      project_id: owningProject(item, auth),
      network_id: item.network_id as string,
      name: (item.name as string | undefined) ?? '',
      description: (item.description as string | undefined) ?? '',
      ip_version: asInt(item.ip_version),
      cidr: item.cidr as string | undefined,
      ...(typeof item.subnetpool_id === 'string' ? { subnetpool_id: item.subnetpool_id } : {}),
      ...(item.prefixlen !== undefined ? { prefixlen: asInt(item.prefixlen) } : {}),
      gateway_ip: item.gateway_ip as string | null | undefined,
      allocation_pools: (item.allocation_pools as Pool[] | undefined)?.map((p) => ({ start: p.start, end: p.end })),
      enable_dhcp: item.enable_dhcp === undefined ? true : asBool('enable_dhcp', item.enable_dhcp),
      dns_nameservers: (item.dns_nameservers as string[] | undefined) ?? [],
      host_routes: routes(item.host_routes as Route[] | undefined) ?? [],
    },
    tags: (item.tags as string[] | undefined) ?? [],
  };
}

function routes(list: Route[] | undefined): HostRoute[] | undefined {
  return list?.map((r) => ({ destination: r.destination, nexthop: r.nexthop }));
}

function parseUpdate(item: Body): SubnetUpdate {
  validate(subnetUpdate, item, neutron);
  const patch: SubnetUpdate = {};
  if (item.name !== undefined) patch.name = item.name as string;
  if (item.description !== undefined) patch.description = item.description as string;
  if (item.gateway_ip !== undefined) patch.gateway_ip = item.gateway_ip as string | null;
  if (item.allocation_pools !== undefined) patch.allocation_pools = (item.allocation_pools as Pool[]).map((p) => ({ start: p.start, end: p.end }));
  if (item.enable_dhcp !== undefined) patch.enable_dhcp = asBool('enable_dhcp', item.enable_dhcp);
  if (item.dns_nameservers !== undefined) patch.dns_nameservers = item.dns_nameservers as string[];
  if (item.host_routes !== undefined) patch.host_routes = routes(item.host_routes as Route[]);
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
      if (input.subnetpool_id !== undefined) await svc.subnetPools.getRow(scope, input.subnetpool_id);
    }
    const created = await svc.subnets.create(parsed.map((p) => p.input));
    for (const [i, rec] of created.entries()) {
      await tagCreated(svc, rec, rec.subnet.id, parsed[i]!.tags);
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
