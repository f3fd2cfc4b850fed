/** /v2.0/routers and its actions add_router_interface and remove_router_interface. */
import type { FastifyInstance } from 'fastify';
import type { AuthContext } from '../../http/auth.js';
import type { PolicyTarget } from '../../policy/types.js';
import { ROUTER_LISTING, type GatewayRequest, type RouterCreate, type RouterRecord, type RouterUpdate } from '../routers.js';
import { routerNotFound } from '../errors.js';
import { scopeOf } from '../model.js';
import type { RouterRow } from '../tables.js';
import { neutron, validate } from '../../http/validation.js';
import { asBool, owningProject, resourceItems, type Body } from './schemas/common.js';
import { checkFixedIps } from './schemas/ports.js';
import { interfaceInfo, routerCreate, routerUpdate } from './schemas/routers.js';
import { enforce } from './policy.js';
import { routerView } from './views.js';
import { tagCreated, type NetworkApiContext } from './common.js';
import { registerDeleteRoute, registerReadRoutes } from './read-routes.js';

export function routerTarget(r: Pick<RouterRow, 'project_id'>): PolicyTarget {
  return { project_id: r.project_id, tenant_id: r.project_id };
}

/** external_gateway_info as the store takes it: null clears the gateway ({} too, as in Neutron). */
function gatewayRequest(raw: unknown): GatewayRequest | null {
  if (raw === null) return null;
  const info = raw as Body;
  if (info.network_id === undefined) return null;
  const fixed = info.external_fixed_ips as Array<{ subnet_id?: string; ip_address?: string }> | undefined;
  if (fixed) checkFixedIps(fixed, 'external_fixed_ips');
  return {
    network_id: info.network_id as string,
    ...(info.enable_snat !== undefined ? { enable_snat: asBool('enable_snat', info.enable_snat) } : {}),
    ...(fixed !== undefined ? { external_fixed_ips: fixed } : {}),
  };
}

function settable(item: Body): RouterUpdate {
  const p: RouterUpdate = {};
  if (item.name !== undefined) p.name = item.name as string;
  if (item.description !== undefined) p.description = item.description as string;
  if (item.admin_state_up !== undefined) p.admin_state_up = asBool('admin_state_up', item.admin_state_up);
  if (item.external_gateway_info !== undefined) p.external_gateway_info = gatewayRequest(item.external_gateway_info);
  return p;
}

/** The attribute-level rules for the gateway a request sets (create_router:external_gateway_info:...). */
function enforceGateway(ctx: NetworkApiContext, verb: 'create' | 'update', gw: GatewayRequest | null | undefined, target: PolicyTarget, auth: AuthContext): void {
  if (gw === undefined) return;
  const check = (attr: string) => enforce(ctx.policy, `${verb}_router:${attr}`, target, auth);
  check('external_gateway_info');
  if (gw === null) return;
  check('external_gateway_info:network_id');
  if (gw.enable_snat !== undefined) check('external_gateway_info:enable_snat');
  if (gw.external_fixed_ips !== undefined) check('external_gateway_info:external_fixed_ips');
}

export function registerRouterRoutes(app: FastifyInstance, ctx: NetworkApiContext): void {
  const { network: svc, policy } = ctx;
  const lookup = registerReadRoutes<RouterRow, RouterRecord>(app, ctx, {
    singular: 'router', collection: 'routers', listing: ROUTER_LISTING, getRule: 'get_router', store: svc.routers,
    rowOf: (rec) => rec.router, target: routerTarget, view: routerView, notFound: routerNotFound,
  });

  app.post('/routers', async (request, reply) => {
    const { items } = resourceItems(request.body, 'router', '\0');
    const item = items[0]!;
    validate(routerCreate, item, neutron);
    const s = settable(item);
    const input: RouterCreate = {
      project_id: owningProject(item, request.auth), name: s.name ?? '', description: s.description ?? '',
      admin_state_up: s.admin_state_up ?? true, external_gateway_info: s.external_gateway_info,
    };
    const target = routerTarget(input);
    enforce(policy, 'create_router', target, request.auth);
    enforceGateway(ctx, 'create', s.external_gateway_info, target, request.auth);
    if (s.external_gateway_info) await svc.networks.getRow(scopeOf(request.auth), s.external_gateway_info.network_id);
    const rec = await svc.withinQuota('router', input.project_id, () => svc.routers.create(input));
    await tagCreated(svc, rec, rec.router.id, (item.tags as string[] | undefined) ?? []);
    reply.code(201);
    return { router: routerView(rec) };
  });

  app.put('/routers/:id', async (request) => {
    const { id } = request.params as { id: string };
    const { items } = resourceItems(request.body, 'router', '\0');
    validate(routerUpdate, items[0]!, neutron);
    const patch = settable(items[0]!);
    const current = await lookup(request.auth, id);
    const target = routerTarget(current);
    enforce(policy, 'update_router', target, request.auth);
    enforceGateway(ctx, 'update', patch.external_gateway_info, target, request.auth);
    if (patch.external_gateway_info) await svc.networks.getRow(scopeOf(request.auth), patch.external_gateway_info.network_id);
    return { router: routerView(await svc.routers.update(current, patch)) };
  });

  registerDeleteRoute(app, ctx, 'routers', 'delete_router', lookup, routerTarget, (r) => svc.routers.delete(r));

  // Neutron answers both actions with the interface itself, not wrapped.
  app.put('/routers/:id/add_router_interface', async (request) => {
    const { id } = request.params as { id: string };
    const current = await lookup(request.auth, id);
    enforce(policy, 'add_router_interface', routerTarget(current), request.auth);
    const info = interfaceInfo(request.body, false);
    const req = info.subnet_id !== undefined ? { subnet_id: info.subnet_id } : { port_id: info.port_id! };
    return svc.routers.addInterface(scopeOf(request.auth), current, req);
  });

  app.put('/routers/:id/remove_router_interface', async (request) => {
    const { id } = request.params as { id: string };
    const current = await lookup(request.auth, id);
    enforce(policy, 'remove_router_interface', routerTarget(current), request.auth);
    return svc.routers.removeInterface(scopeOf(request.auth), current, interfaceInfo(request.body, true));
  });
}
