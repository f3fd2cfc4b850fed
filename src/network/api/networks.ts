/** /v2.0/networks */
import type { FastifyInstance } from 'fastify';
import type { AuthContext } from '../../http/auth.js';
import type { PolicyTarget } from '../../policy/types.js';
import { NETWORK_LISTING } from '../networks.js';
import { invalidInput, networkNotFound } from '../errors.js';
import { checkProviderSegment, type ProviderRequest } from '../provider.js';
import type { NetworkCreate, NetworkRecord, NetworkUpdate } from '../model.js';
import type { NetworkRow } from '../tables.js';
import { neutron, validate } from '../../http/validation.js';
import { asBool, asInt, owningProject, resourceItems, type Body } from './schemas/common.js';
import type { Authorizer } from '../../policy/types.js';
import { checkAzHints, networkCreate, networkUpdate } from './schemas/networks.js';
import { enforce } from './policy.js';
import { networkView } from './views.js';
import { tagCreated, type NetworkApiContext } from './common.js';
import { registerReadRoutes } from './read-routes.js';

export function networkTarget(n: NetworkRow): PolicyTarget {
  return { id: n.id, project_id: n.project_id, tenant_id: n.project_id, shared: n.shared === 1, 'router:external': n.router_external === 1 };
}

const PROVIDER_ATTRS = ['provider:network_type', 'provider:physical_network', 'provider:segmentation_id'] as const;

function providerRequest(item: Body): ProviderRequest {
  return {
    ...(item['provider:network_type'] !== undefined ? { network_type: item['provider:network_type'] as string } : {}),
    ...(item['provider:physical_network'] !== undefined ? { physical_network: item['provider:physical_network'] as string } : {}),
    ...(item['provider:segmentation_id'] !== undefined ? { segmentation_id: asInt(item['provider:segmentation_id']) } : {}),
  };
}

/** Whether the caller sees a network's provider attributes. */
function showsProvider(policy: Authorizer, n: NetworkRow, auth: AuthContext): boolean {
  return policy.allowed('get_network:provider:network_type', networkTarget(n), auth);
}

function parseCreate(item: Body, auth: AuthContext): { input: NetworkCreate; tags: string[] } {
  validate(networkCreate, item, neutron);
  if (item.availability_zone_hints !== undefined) checkAzHints(item.availability_zone_hints as unknown[]);
  return {
    input: {
      project_id: owningProject(item, auth),
      name: (item.name as string | undefined) ?? '',
      description: (item.description as string | undefined) ?? '',
      admin_state_up: item.admin_state_up === undefined ? true : asBool('admin_state_up', item.admin_state_up),
      shared: item.shared === undefined ? false : asBool('shared', item.shared),
      mtu: item.mtu === undefined ? undefined : asInt(item.mtu),
      port_security_enabled: item.port_security_enabled === undefined ? true : asBool('port_security_enabled', item.port_security_enabled),
      router_external: item['router:external'] === undefined ? false : asBool('router:external', item['router:external']),
    },
    tags: (item.tags as string[] | undefined) ?? [],
  };
}

/** ML2 keeps a local or flat network's segment: an update may only restate it. */
function checkProviderUnchanged(item: Body, current: NetworkRow): void {
  const req = providerRequest(item);
  if (Object.keys(req).length === 0) return;
  const same = (req.network_type === undefined || req.network_type === current.provider_network_type)
    && (req.physical_network === undefined || req.physical_network === current.provider_physical_network)
    && (req.segmentation_id === undefined || req.segmentation_id === current.provider_segmentation_id);
  if (!same) throw invalidInput('Plugin does not support updating provider attributes');
}

function parseUpdate(item: Body): NetworkUpdate {
  validate(networkUpdate, item, neutron);
  const patch: NetworkUpdate = {};
  if (item.name !== undefined) patch.name = item.name as string;
  if (item.description !== undefined) patch.description = item.description as string;
  if (item.admin_state_up !== undefined) patch.admin_state_up = asBool('admin_state_up', item.admin_state_up);
  if (item.shared !== undefined) patch.shared = asBool('shared', item.shared);
  if (item.mtu !== undefined) patch.mtu = asInt(item.mtu);
  if (item.port_security_enabled !== undefined) patch.port_security_enabled = asBool('port_security_enabled', item.port_security_enabled);
  if (item['router:external'] !== undefined) patch.router_external = asBool('router:external', item['router:external']);
  return patch;
}

export function registerNetworkRoutes(app: FastifyInstance, ctx: NetworkApiContext): void {
  const { network: svc, policy } = ctx;
  const lookup = registerReadRoutes<NetworkRow, NetworkRecord>(app, ctx, {
    singular: 'network', collection: 'networks', listing: NETWORK_LISTING, getRule: 'get_network', store: svc.networks,
    rowOf: (rec) => rec.network, target: networkTarget, notFound: networkNotFound,
    view: (rec, auth) => networkView(rec, showsProvider(policy, rec.network, auth)),
  });

  app.post('/networks', async (request, reply) => {
    const { items, bulk } = resourceItems(request.body, 'network', 'networks');
    const parsed = items.map((item) => parseCreate(item, request.auth));
    for (const [i, { input }] of parsed.entries()) {
      const target = { project_id: input.project_id, tenant_id: input.project_id, shared: input.shared, 'router:external': input.router_external };
      enforce(policy, 'create_network', target, request.auth);
      if (input.shared) enforce(policy, 'create_network:shared', target, request.auth);
      if (input.router_external) enforce(policy, 'create_network:router:external', target, request.auth);
      for (const attr of PROVIDER_ATTRS) if (items[i]![attr] !== undefined) enforce(policy, `create_network:${attr}`, target, request.auth);
      // The type drivers judge the segment after policy, as ML2 does in the plugin.
      input.provider = checkProviderSegment(providerRequest(items[i]!));
    }
    const created = await svc.networks.create(parsed.map((p) => p.input));
    for (const [i, rec] of created.entries()) {
      await tagCreated(svc, rec, rec.network.id, parsed[i]!.tags);
    }
    reply.code(201);
    const views = created.map((rec) => networkView(rec, showsProvider(policy, rec.network, request.auth)));
    return bulk ? { networks: views } : { network: views[0] };
  });

  app.put('/networks/:id', async (request) => {
    const { id } = request.params as { id: string };
    const { items } = resourceItems(request.body, 'network', '\0');
    const patch = parseUpdate(items[0]!);
    const current = await lookup(request.auth, id);
    const target = networkTarget(current);
    enforce(policy, 'update_network', target, request.auth);
    for (const attr of PROVIDER_ATTRS) if (items[0]![attr] !== undefined) enforce(policy, `update_network:${attr}`, target, request.auth);
    checkProviderUnchanged(items[0]!, current);
    if (patch.shared !== undefined) enforce(policy, 'update_network:shared', target, request.auth);
    if (patch.router_external !== undefined) enforce(policy, 'update_network:router:external', target, request.auth);
    return { network: networkView(await svc.networks.update(current, patch), showsProvider(policy, current, request.auth)) };
  });

  app.delete('/networks/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const current = await lookup(request.auth, id);
    enforce(policy, 'delete_network', networkTarget(current), request.auth);
    await svc.networks.delete(id);
    return reply.code(204).send();
  });
}
