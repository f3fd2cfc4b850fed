/** /servers/{id}/os-server-password: the encrypted password a guest posted to the metadata service. */
import type { FastifyInstance } from 'fastify';
import { clearPassword, getPassword } from '../server-password.js';
import type { ComputeApiDeps } from './deps.js';

type P = { Params: { id: string } };

export function registerServerPasswordRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { db, computeApi } = deps;

  app.get<P>('/servers/:id/os-server-password', async (request) => {
    const row = await computeApi.authorizeOn(request.auth, request.params.id, 'os_compute_api:os-server-password:show');
    return { password: await getPassword(db, row.uuid) };
  });

  app.delete<P>('/servers/:id/os-server-password', async (request, reply) => {
    const row = await computeApi.authorizeOn(request.auth, request.params.id, 'os_compute_api:os-server-password:clear');
    await clearPassword(db, row.uuid);
    return reply.code(204).send();
  });
}
