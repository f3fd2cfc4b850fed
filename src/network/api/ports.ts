/** /v2.0/ports */
import type { FastifyInstance } from 'fastify';
import type { AuthContext } from '../../http/auth.js';
import type { PolicyTarget } from '../../policy/types.js';
import { PORT_LISTING } from '../ports.js';
import { parseListRequest } from '../listing.js';
import { portNotFound } from '../errors.js';
import { securityGroupNotFound } from '../security-groups.js';
import { checkAddressPairs } from '../address-pairs.js';
import { checkGroupsAllowed, newPortSecurity } from '../port-security.js';
import { ADMIN_SCOPE, scopeOf, type FixedIpRequest, type PortCreate, type PortRecord, type PortUpdate } from '../model.js';
import type { NetworkRow, PortRow } from '../tables.js';
import { neutron, validate } from '../../http/validation.js';
import { asBool, owningProject, resourceItems, type Body } from './schemas/common.js';
import { checkFixedIps, portCreate, portUpdate } from './schemas/ports.js';
import { enforce } from './policy.js';
import { portView, selectFields } from './views.js';
import { fieldsOf, pageLinks, tagCreated, type NetworkApiContext } from './common.js';

export function portTarget(p: Pick<PortRow, 'project_id' | 'network_id' | 'device_owner'>, network: NetworkRow): PolicyTarget {
  return {
    project_id: p.project_id, tenant_id: p.project_id, network_id: p.network_id, device_owner: p.device_owner,
    'network:project_id': network.project_id, 'network:tenant_id': network.project_id, 'network:shared': network.shared === 1,
  };
}

/**
 * Nova remembers which ports it made in its info cache (preserve_on_delete);
 * a compute host reaching this API over HTTP says so when it creates one
 * instead, and reads it back, so deleting the server deletes the port where a
 * port the user brought is only released. Admin-only, as binding:host_id.
 */
export const CREATED_BY_COMPUTE = 'kilonova:created_by_compute';

/** Shared by POST and PUT: the settable attributes present in a validated body. */
function parseSettable(item: Body): PortUpdate {
  const p: PortUpdate = {};
  if (item.name !== undefined) p.name = item.name as string;
  if (item.description !== undefined) p.description = item.description as string;
  if (item.admin_state_up !== undefined) p.admin_state_up = asBool('admin_state_up', item.admin_state_up);
  if (item.mac_address !== undefined) p.mac_address = item.mac_address as string;
  if (item.fixed_ips !== undefined) {
    const entries = item.fixed_ips as FixedIpRequest[];
    checkFixedIps(entries);
    p.fixed_ips = entries.map((e) => ({
      ...(e.subnet_id !== undefined ? { subnet_id: e.subnet_id } : {}),
      ...(e.ip_address !== undefined ? { ip_address: e.ip_address } : {}),
    }));
  }
  if (item.device_id !== undefined) p.device_id = item.device_id as string;
  if (item.device_owner !== undefined) p.device_owner = item.device_owner as string;
  if (item['binding:host_id'] !== undefined) p.binding_host_id = item['binding:host_id'] as string;
  if (item['binding:vnic_type'] !== undefined) p.binding_vnic_type = item['binding:vnic_type'] as string;
  if (item['binding:profile'] !== undefined) p.binding_profile = item['binding:profile'] as Record<string, unknown>;
  if (item.port_security_enabled !== undefined) p.port_security_enabled = asBool('port_security_enabled', item.port_security_enabled);
  if (item.allowed_address_pairs !== undefined) p.allowed_address_pairs = checkAddressPairs(item.allowed_address_pairs);
  return p;
}

function parseCreate(item: Body, auth: AuthContext): { input: PortCreate; tags: string[]; given: PortUpdate } {
  validate(portCreate, item, neutron);
  const s = parseSettable(item);
  return {
    input: {
      project_id: owningProject(item, auth),
      network_id: item.network_id as string,
      name: s.name ?? '',
      description: s.description ?? '',
      admin_state_up: s.admin_state_up ?? true,
      mac_address: s.mac_address,
      fixed_ips: s.fixed_ips,
      device_id: s.device_id ?? '',
      device_owner: s.device_owner ?? '',
      binding_host_id: s.binding_host_id ?? '',
      binding_vnic_type: s.binding_vnic_type ?? 'normal',
      binding_profile: s.binding_profile ?? {},
      port_security_enabled: s.port_security_enabled ?? true,
      allowed_address_pairs: s.allowed_address_pairs,
      created_by_compute: item[CREATED_BY_COMPUTE] === true,
    },
    tags: (item.tags as string[] | undefined) ?? [],
    given: s,
  };
}

/**
 * The attribute-level rules Neutron checks for the attributes a request sets.
 * The defaults of port_security_enabled, fixed_ips and allowed_address_pairs
 * are "not given", so Neutron checks them whatever the value: even `true` or
 * `[]` is a choice the caller needs the right to make.
 */
function enforceAttributes(
  ctx: NetworkApiContext, verb: 'create' | 'update', body: Body, p: PortUpdate, target: PolicyTarget, auth: AuthContext,
): void {
  const check = (attr: string) => enforce(ctx.policy, `${verb}_port:${attr}`, target, auth);
  if (p.device_owner !== undefined) check('device_owner');
  if (p.mac_address !== undefined) check('mac_address');
  if (p.fixed_ips !== undefined) check('fixed_ips');
  if (p.fixed_ips?.some((f) => f.ip_address !== undefined)) check('fixed_ips:ip_address');
  if (p.fixed_ips?.some((f) => f.subnet_id !== undefined)) check('fixed_ips:subnet_id');
  if (p.port_security_enabled !== undefined) check('port_security_enabled');
  if (body.allowed_address_pairs !== undefined) check('allowed_address_pairs');
  if (p.binding_host_id !== undefined || body[CREATED_BY_COMPUTE] !== undefined) check('binding:host_id');
  if (p.binding_profile !== undefined) check('binding:profile');
}

export function registerPortRoutes(app: FastifyInstance, ctx: NetworkApiContext): void {
  const { network: svc, policy } = ctx;

  const networksOf = async (networkIds: string[]) => {
    const out = new Map<string, NetworkRow>();
    for (const id of [...new Set(networkIds)]) out.set(id, await svc.networks.getRow(ADMIN_SCOPE, id));
    return out;
  };
  const render = (rec: PortRecord, auth: AuthContext, network: NetworkRow) =>
    portView(rec, svc.binding, policy.allowed('get_port:binding:host_id', portTarget(rec.port, network), auth));

  const lookup = async (auth: AuthContext, id: string) => {
    const row = await svc.ports.getRow(scopeOf(auth), id);
    const network = await svc.networks.getRow(ADMIN_SCOPE, row.network_id);
    if (!policy.allowed('get_port', portTarget(row, network), auth)) throw portNotFound(id);
    return { row, network };
  };

  app.get('/ports', async (request) => {
    const query = request.query as Record<string, unknown>;
    const req = parseListRequest(query, PORT_LISTING);
    const { records, hasMore } = await svc.ports.list(scopeOf(request.auth), req);
    const networks = await networksOf(records.map((r) => r.port.network_id));
    const fields = fieldsOf(query);
    const shown = records.filter((r) => policy.allowed('get_port', portTarget(r.port, networks.get(r.port.network_id)!), request.auth));
    const body: Record<string, unknown> = {
      ports: shown.map((r) => selectFields(render(r, request.auth, networks.get(r.port.network_id)!), fields)),
    };
    if (req.limit !== undefined) body.ports_links = pageLinks(request, req, records.map((r) => r.port), hasMore);
    return body;
  });

  app.get('/ports/:id', async (request) => {
    const { id } = request.params as { id: string };
    const { network } = await lookup(request.auth, id);
    const rec = await svc.ports.get(ADMIN_SCOPE, id);
    return { port: selectFields(render(rec, request.auth, network), fieldsOf(request.query as Record<string, unknown>)) };
  });

  app.post('/ports', async (request, reply) => {
    const { items, bulk } = resourceItems(request.body, 'port', 'ports');
    const parsed = items.map((item) => parseCreate(item, request.auth));
    const scope = scopeOf(request.auth);
    const networks = new Map<string, NetworkRow>();
    for (const [i, { input, given }] of parsed.entries()) {
      const network = networks.get(input.network_id) ?? await svc.networks.getRow(scope, input.network_id, { attachable: true });
      networks.set(network.id, network);
      const target = portTarget(input, network);
      enforce(policy, 'create_port', target, request.auth);
      enforceAttributes(ctx, 'create', items[i]!, given, target, request.auth);
      const askedGroups = items[i]!.security_groups as string[] | undefined;
      input.port_security_enabled = newPortSecurity(
        { device_owner: input.device_owner, given: given.port_security_enabled, fixedIps: input.fixed_ips, askedGroups },
        network.port_security_enabled === 1);
      checkGroupsAllowed(input.port_security_enabled, askedGroups);
    }
    // Groups are looked up before anything is made, so an unknown one creates nothing.
    const groups: string[][] = [];
    for (const [i, { input }] of parsed.entries()) {
      groups.push(await svc.securityGroups.forNewPort(
        { project_id: input.project_id, device_owner: input.device_owner, port_security_enabled: input.port_security_enabled },
        items[i]!.security_groups as string[] | undefined,
      ));
    }
    const created = await svc.ports.create(parsed.map((p) => p.input));
    for (const [i, rec] of created.entries()) {
      if (groups[i]!.length > 0) await svc.securityGroups.setPortGroups(rec.port.id, groups[i]!);
      rec.securityGroups = groups[i]!;
      await tagCreated(svc, rec, rec.port.id, parsed[i]!.tags);
    }
    reply.code(201);
    const views = created.map((rec) => render(rec, request.auth, networks.get(rec.port.network_id)!));
    return bulk ? { ports: views } : { port: views[0] };
  });

  app.put('/ports/:id', async (request) => {
    const { id } = request.params as { id: string };
    const { items } = resourceItems(request.body, 'port', '\0');
    const item = items[0]!;
    validate(portUpdate, item, neutron);
    const patch = parseSettable(item);
    const { row, network } = await lookup(request.auth, id);
    const target = portTarget(row, network);
    enforce(policy, 'update_port', target, request.auth);
    enforceAttributes(ctx, 'update', item, patch, { ...target, device_owner: patch.device_owner ?? row.device_owner }, request.auth);
    const groups = item.security_groups as string[] | undefined;
    if (groups !== undefined) {
      const found = new Set((await svc.securityGroups.byIds(groups)).map((g) => g.group.id));
      const missing = groups.find((g) => !found.has(g));
      if (missing !== undefined) throw securityGroupNotFound(missing);
    }
    let rec = await svc.ports.update(row, patch, { securityGroups: groups });
    if (groups !== undefined) {
      await svc.securityGroups.setPortGroups(id, groups);
      rec = await svc.ports.get(ADMIN_SCOPE, id);
    }
    return { port: render(rec, request.auth, network) };
  });

  app.delete('/ports/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const { row, network } = await lookup(request.auth, id);
    enforce(policy, 'delete_port', portTarget(row, network), request.auth);
    await svc.assertPortDeletable(row);
    await svc.ports.delete(id);
    return reply.code(204).send();
  });
}
