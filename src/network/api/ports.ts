/** /v2.0/ports */
import type { FastifyInstance } from 'fastify';
import type { AuthContext } from '../../http/auth.js';
import type { PolicyTarget } from '../../policy/types.js';
import { PORT_LISTING, checkIpText } from '../ports.js';
import { parseListRequest } from '../listing.js';
import { invalidAttribute, portNotFound } from '../errors.js';
import { ADMIN_SCOPE, scopeOf, type FixedIpRequest, type PortCreate, type PortRecord, type PortUpdate } from '../model.js';
import type { NetworkRow, PortRow } from '../tables.js';
import {
  bool, checkKeys, list, obj, onlyEmptyList, owningProject, requireAttrs, resourceItems, str, tagList, type Body,
} from './attributes.js';
import { enforce } from './policy.js';
import { portView, selectFields } from './views.js';
import { fieldsOf, pageLinks, type NetworkApiContext } from './common.js';

const SETTABLE = [
  'name', 'description', 'admin_state_up', 'mac_address', 'fixed_ips', 'device_id', 'device_owner', 'binding:host_id',
  'binding:vnic_type', 'binding:profile', 'port_security_enabled', 'security_groups', 'allowed_address_pairs', 'extra_dhcp_opts',
];
const CREATE_ATTRS = new Set([...SETTABLE, 'network_id', 'tenant_id', 'project_id', 'tags']);
const UPDATE_ATTRS = new Set(SETTABLE);
const READ_ONLY = new Set([
  'id', 'network_id', 'tenant_id', 'project_id', 'status', 'created_at', 'updated_at', 'revision_number',
  'binding:vif_type', 'binding:vif_details', 'ip_allocation', 'tags',
]);
/** The one vnic type a software bridge can give. */
const VNIC_TYPES = new Set(['normal']);

export function portTarget(p: Pick<PortRow, 'project_id' | 'network_id' | 'device_owner'>, network: NetworkRow): PolicyTarget {
  return {
    project_id: p.project_id, tenant_id: p.project_id, network_id: p.network_id, device_owner: p.device_owner,
    'network:project_id': network.project_id, 'network:tenant_id': network.project_id, 'network:shared': network.shared === 1,
  };
}

function parseFixedIps(v: unknown): FixedIpRequest[] {
  return list('fixed_ips', v).map((entry) => {
    const e = obj('fixed_ips', entry);
    const out: FixedIpRequest = {};
    for (const key of Object.keys(e)) {
      if (key !== 'subnet_id' && key !== 'ip_address') throw invalidAttribute('fixed_ips', `Unrecognized attribute(s) '${key}'`);
    }
    if (e.subnet_id !== undefined) out.subnet_id = str('fixed_ips', e.subnet_id);
    if (e.ip_address !== undefined) out.ip_address = checkIpText('fixed_ips', e.ip_address);
    if (out.subnet_id === undefined && out.ip_address === undefined) {
      throw invalidAttribute('fixed_ips', 'each entry needs subnet_id or ip_address');
    }
    return out;
  });
}

function parseVnicType(v: unknown): string {
  const t = str('binding:vnic_type', v);
  if (!VNIC_TYPES.has(t)) throw invalidAttribute('binding:vnic_type', `'${t}' is not in [normal]`);
  return t;
}

/** Shared by POST and PUT: the settable attributes present in the body. */
function parseSettable(item: Body): PortUpdate {
  for (const attr of ['security_groups', 'allowed_address_pairs', 'extra_dhcp_opts']) {
    if (item[attr] !== undefined) onlyEmptyList(attr, item[attr]);
  }
  const p: PortUpdate = {};
  if (item.name !== undefined) p.name = str('name', item.name);
  if (item.description !== undefined) p.description = str('description', item.description);
  if (item.admin_state_up !== undefined) p.admin_state_up = bool('admin_state_up', item.admin_state_up);
  if (item.mac_address !== undefined) p.mac_address = str('mac_address', item.mac_address);
  if (item.fixed_ips !== undefined) p.fixed_ips = parseFixedIps(item.fixed_ips);
  if (item.device_id !== undefined) p.device_id = str('device_id', item.device_id);
  if (item.device_owner !== undefined) p.device_owner = str('device_owner', item.device_owner);
  if (item['binding:host_id'] !== undefined) p.binding_host_id = str('binding:host_id', item['binding:host_id']);
  if (item['binding:vnic_type'] !== undefined) p.binding_vnic_type = parseVnicType(item['binding:vnic_type']);
  if (item['binding:profile'] !== undefined) p.binding_profile = obj('binding:profile', item['binding:profile']);
  if (item.port_security_enabled !== undefined) p.port_security_enabled = bool('port_security_enabled', item.port_security_enabled);
  return p;
}

function parseCreate(item: Body, auth: AuthContext): { input: PortCreate; tags: string[]; given: PortUpdate } {
  checkKeys(item, CREATE_ATTRS, READ_ONLY, 'POST');
  requireAttrs(item, ['network_id']);
  const s = parseSettable(item);
  return {
    input: {
      project_id: owningProject(item, auth),
      network_id: str('network_id', item.network_id),
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
    },
    tags: item.tags === undefined ? [] : tagList(item.tags),
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
  if (p.binding_host_id !== undefined) check('binding:host_id');
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
      const network = networks.get(input.network_id) ?? await svc.networks.getRow(scope, input.network_id);
      networks.set(network.id, network);
      const target = portTarget(input, network);
      enforce(policy, 'create_port', target, request.auth);
      enforceAttributes(ctx, 'create', items[i]!, given, target, request.auth);
    }
    const created = await svc.ports.create(parsed.map((p) => p.input));
    for (const [i, rec] of created.entries()) {
      const tags = parsed[i]!.tags;
      if (tags.length > 0) {
        await svc.replaceTags(rec.port.id, tags);
        rec.tags = [...new Set(tags)].sort();
      }
    }
    reply.code(201);
    const views = created.map((rec) => render(rec, request.auth, networks.get(rec.port.network_id)!));
    return bulk ? { ports: views } : { port: views[0] };
  });

  app.put('/ports/:id', async (request) => {
    const { id } = request.params as { id: string };
    const { items } = resourceItems(request.body, 'port', '\0');
    const item = items[0]!;
    checkKeys(item, UPDATE_ATTRS, READ_ONLY, 'PUT');
    const patch = parseSettable(item);
    const { row, network } = await lookup(request.auth, id);
    const target = portTarget(row, network);
    enforce(policy, 'update_port', target, request.auth);
    enforceAttributes(ctx, 'update', item, patch, { ...target, device_owner: patch.device_owner ?? row.device_owner }, request.auth);
    const rec = await svc.ports.update(row, patch);
    return { port: render(rec, request.auth, network) };
  });

  app.delete('/ports/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const { row, network } = await lookup(request.auth, id);
    enforce(policy, 'delete_port', portTarget(row, network), request.auth);
    await svc.ports.delete(id);
    return reply.code(204).send();
  });
}
