/** /v2.0/floatingips */
import type { FastifyInstance } from 'fastify';
import type { PolicyTarget } from '../../policy/types.js';
import { FLOATINGIP_LISTING, type FloatingIpRecord, type FloatingIpUpdate } from '../floating-ips.js';
import { floatingIpNotFound } from '../errors.js';
import { checkIpText } from '../ports.js';
import { scopeOf } from '../model.js';
import type { FloatingIpRow } from '../tables.js';
import { neutron, validate } from '../../http/validation.js';
import { owningProject, resourceItems, type Body } from './schemas/common.js';
import { floatingIpCreate, floatingIpUpdate } from './schemas/routers.js';
import { enforce } from './policy.js';
import { floatingIpView } from './views.js';
import { tagCreated, type NetworkApiContext } from './common.js';
import { registerDeleteRoute, registerReadRoutes } from './read-routes.js';

export function floatingIpTarget(f: Pick<FloatingIpRow, 'project_id'>): PolicyTarget {
  return { project_id: f.project_id, tenant_id: f.project_id };
}

function association(item: Body): FloatingIpUpdate {
  const p: FloatingIpUpdate = {};
  if (item.description !== undefined) p.description = item.description as string;
  if (item.port_id !== undefined) p.port_id = item.port_id as string | null;
  if (item.fixed_ip_address !== undefined) p.fixed_ip_address = checkIpText('fixed_ip_address', item.fixed_ip_address);
  return p;
}

export function registerFloatingIpRoutes(app: FastifyInstance, ctx: NetworkApiContext): void {
  const { network: svc, policy } = ctx;
  const lookup = registerReadRoutes<FloatingIpRow, FloatingIpRecord>(app, ctx, {
    singular: 'floatingip', collection: 'floatingips', listing: FLOATINGIP_LISTING, getRule: 'get_floatingip', store: svc.floatingIps,
    rowOf: (rec) => rec.fip, target: floatingIpTarget, view: floatingIpView, notFound: floatingIpNotFound,
  });

  app.post('/floatingips', async (request, reply) => {
    const { items } = resourceItems(request.body, 'floatingip', '\0');
    const item = items[0]!;
    validate(floatingIpCreate, item, neutron);
    const a = association(item);
    const address = item.floating_ip_address === undefined ? undefined : checkIpText('floating_ip_address', item.floating_ip_address);
    const projectId = owningProject(item, request.auth);
    const target = floatingIpTarget({ project_id: projectId });
    enforce(policy, 'create_floatingip', target, request.auth);
    if (address !== undefined) enforce(policy, 'create_floatingip:floating_ip_address', target, request.auth);
    const rec = await svc.withinQuota('floatingip', projectId, () => svc.floatingIps.create(scopeOf(request.auth), {
      project_id: projectId, description: a.description ?? '', floating_network_id: item.floating_network_id as string,
      ...(item.subnet_id !== undefined ? { subnet_id: item.subnet_id as string } : {}),
      ...(address !== undefined ? { floating_ip_address: address } : {}),
      ...(a.port_id !== undefined ? { port_id: a.port_id } : {}),
      ...(a.fixed_ip_address !== undefined ? { fixed_ip_address: a.fixed_ip_address } : {}),
    }));
    await tagCreated(svc, rec, rec.fip.id, (item.tags as string[] | undefined) ?? []);
    reply.code(201);
    return { floatingip: floatingIpView(rec) };
  });

  app.put('/floatingips/:id', async (request) => {
    const { id } = request.params as { id: string };
    const { items } = resourceItems(request.body, 'floatingip', '\0');
    validate(floatingIpUpdate, items[0]!, neutron);
    const patch = association(items[0]!);
    const current = await lookup(request.auth, id);
    enforce(policy, 'update_floatingip', floatingIpTarget(current), request.auth);
    return { floatingip: floatingIpView(await svc.floatingIps.update(scopeOf(request.auth), current, patch)) };
  });

  registerDeleteRoute(app, ctx, 'floatingips', 'delete_floatingip', lookup, floatingIpTarget, (f) => svc.floatingIps.delete(f));
}
