/** /servers/{id}/ips: a server's addresses by network label (Nova's ips controller: version and addr only). */
import type { FastifyInstance } from 'fastify';
import { NotFound } from '../../errors.js';
import type { ComputeApiDeps } from './deps.js';
import { addresses } from './views/servers.js';

type P = { Params: { id: string; network?: string } };

function basicAddresses(networkInfo: string): Record<string, Array<{ version: unknown; addr: unknown }>> {
  const out: Record<string, Array<{ version: unknown; addr: unknown }>> = {};
  for (const [label, ips] of Object.entries(addresses(networkInfo))) out[label] = ips.map((ip) => ({ version: ip.version, addr: ip.addr }));
  return out;
}

export function registerIpsRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { computeApi } = deps;

  app.get<P>('/servers/:id/ips', async (request) => {
    const row = await computeApi.authorizeOn(request.auth, request.params.id, 'os_compute_api:ips:index');
    return { addresses: basicAddresses(row.network_info) };
  });

  app.get<P>('/servers/:id/ips/:network', async (request) => {
    const row = await computeApi.authorizeOn(request.auth, request.params.id, 'os_compute_api:ips:show');
    const networks = basicAddresses(row.network_info);
    const label = request.params.network as string;
    if (!Object.hasOwn(networks, label)) throw new NotFound('Instance is not a member of specified network');
    return { [label]: networks[label] };
  });
}
