/**
 * /os-networks and /os-tenant-networks: Nova's read-only proxies to the
 * network service (gone from 2.36 on). Creating, deleting and associating
 * networks went with nova-network: 410 Gone, as Nova answers.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, NotFound } from '../../errors.js';
import type { NetworkSummary } from '../clients.js';
import type { ComputeApiDeps } from './deps.js';
import { MAX_PROXY_API_SUPPORT_VERSION, requireAtMost } from './proxy-versions.js';

const NOVA_NETWORK_FIELDS = ['cidr', 'netmask', 'gateway', 'broadcast', 'dns1', 'dns2', 'cidr_v6', 'gateway_v6', 'netmask_v6'];
const NOVA_NETWORK_ADMIN_FIELDS = [
  'created_at', 'updated_at', 'deleted_at', 'deleted', 'injected', 'bridge', 'vlan', 'vpn_public_address',
  'vpn_public_port', 'vpn_private_address', 'dhcp_start', 'project_id', 'host', 'bridge_interface', 'multi_host',
  'priority', 'rxtx_base', 'mtu', 'dhcp_server', 'enable_dhcp', 'share_address',
];

/** Nova's view: the id and label; the nova-network fields are all null now. */
function networkView(n: NetworkSummary, admin: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { id: n.id };
  for (const f of NOVA_NETWORK_FIELDS) out[f] = null;
  out.label = n.name;
  if (admin) for (const f of NOVA_NETWORK_ADMIN_FIELDS) out[f] = null;
  return out;
}

function tenantNetworkView(n: NetworkSummary): Record<string, unknown> {
  return { id: n.id, cidr: 'None', label: n.name };
}

class Gone extends ApiError {
  constructor() { super(410, 'Gone'); }
}

export function registerNetworkRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { network, policy } = deps;
  const own = (request: FastifyRequest) => ({ project_id: request.auth.projectId });

  async function one(request: FastifyRequest<{ Params: { id: string } }>): Promise<NetworkSummary> {
    try {
      return await network.getNetworkSummary(request.auth, request.params.id);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) throw new NotFound('Network not found');
      throw err;
    }
  }

  app.get('/os-networks', async (request) => {
    requireAtMost(request, MAX_PROXY_API_SUPPORT_VERSION);
    policy.authorize('os_compute_api:os-networks:list', own(request), request.auth);
    const admin = policy.allowed('context_is_admin', {}, request.auth);
    return { networks: (await network.listNetworkSummaries(request.auth)).map((n) => networkView(n, admin)) };
  });

  app.get<{ Params: { id: string } }>('/os-networks/:id', async (request) => {
    requireAtMost(request, MAX_PROXY_API_SUPPORT_VERSION);
    policy.authorize('os_compute_api:os-networks:show', own(request), request.auth);
    return { network: networkView(await one(request), policy.allowed('context_is_admin', {}, request.auth)) };
  });

  app.get('/os-tenant-networks', async (request) => {
    requireAtMost(request, MAX_PROXY_API_SUPPORT_VERSION);
    policy.authorize('os_compute_api:os-tenant-networks:list', own(request), request.auth);
    return { networks: (await network.listNetworkSummaries(request.auth)).map(tenantNetworkView) };
  });

  app.get<{ Params: { id: string } }>('/os-tenant-networks/:id', async (request) => {
    requireAtMost(request, MAX_PROXY_API_SUPPORT_VERSION);
    policy.authorize('os_compute_api:os-tenant-networks:show', own(request), request.auth);
    return { network: tenantNetworkView(await one(request)) };
  });

  const gone = async () => { throw new Gone(); };
  app.post('/os-networks', gone);
  app.post('/os-networks/add', gone);
  app.delete('/os-networks/:id', gone);
  app.post('/os-networks/:id/action', gone);
  app.post('/os-tenant-networks', gone);
  app.delete('/os-tenant-networks/:id', gone);
}
