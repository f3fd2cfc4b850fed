/**
 * Tells the agents about every successful write of the network API, in one
 * place rather than in each route: after a 2xx answer to POST, PUT or DELETE,
 * the route's collection names the resource, and the answer (or the path's
 * id) names what changed. The agents only resync on it, so a change named
 * loosely (an interface added to a router is an update of the router) is enough.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ChangeAction } from '../agents/notifications.js';
import type { NetworkService } from '../service.js';

/** Collections whose writes can change what an agent makes real, by their singular name. */
const RESOURCES: Record<string, string> = {
  networks: 'network', subnets: 'subnet', ports: 'port', 'security-groups': 'security_group', 'security-group-rules': 'security_group_rule',
  routers: 'router', floatingips: 'floatingip', trunks: 'trunk',
};

const ACTIONS: Record<string, ChangeAction> = { POST: 'create', PUT: 'update', DELETE: 'delete' };

type Item = { id?: unknown; network_id?: unknown; floating_network_id?: unknown; 'binding:host_id'?: unknown };

/** The route's collection and whether the write is on a sub-resource (tags, router interfaces): then it updates its parent. */
function routeParts(request: FastifyRequest, prefix: string): { collection: string; nested: boolean } | undefined {
  const url = request.routeOptions.url;
  if (!url) return undefined;
  const rest = url.slice(`${prefix}/v2.0/`.length).split('/');
  if (!url.startsWith(`${prefix}/v2.0/`) || rest.length === 0) return undefined;
  return { collection: rest[0]!, nested: rest.length > 2 };
}

function itemsOf(payload: unknown, singular: string, collection: string): Item[] {
  if (typeof payload !== 'string' || payload === '') return [];
  try {
    const body = JSON.parse(payload) as Record<string, unknown>;
    const one = body[singular];
    if (one && typeof one === 'object') return [one as Item];
    const many = body[collection.replace(/-/g, '_')];
    if (Array.isArray(many)) return many as Item[];
    return [body as Item];
  } catch {
    return [];
  }
}

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

export function registerChangeNotifications(app: FastifyInstance, network: NetworkService, prefix: string): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const method = ACTIONS[request.method];
    if (!method || reply.statusCode < 200 || reply.statusCode >= 300) return payload;
    const parts = routeParts(request, prefix);
    const singular = parts && RESOURCES[parts.collection];
    if (!parts || !singular) return payload;
    const action: ChangeAction = parts.nested ? 'update' : method;
    const pathId = text((request.params as { id?: unknown } | undefined)?.id);
    const items = itemsOf(payload, singular, parts.collection);
    if (parts.nested || items.length === 0) {
      if (pathId) network.notifyChange(singular, pathId, action, singular === 'network' ? pathId : null);
      return payload;
    }
    for (const item of items) {
      const id = text(item.id) ?? pathId;
      if (!id) continue;
      const networkId = singular === 'network' ? id : text(item.network_id) ?? text(item.floating_network_id);
      // The binding host is shown to admins (and the service user compute acts as); unknown otherwise.
      network.notifyChange(singular, id, action, networkId, singular === 'port' ? text(item['binding:host_id']) : null);
    }
    return payload;
  });
}
