/** GET /servers/{id}/diagnostics (admin by default). */
import type { FastifyInstance } from 'fastify';
import type { ComputeApiDeps } from './deps.js';
import { diagnosticsView } from './views/diagnostics.js';

export function registerServerDiagnosticsRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  app.get<{ Params: { id: string } }>('/servers/:id/diagnostics', async (request) => {
    const d = await deps.computeApi.getDiagnostics(request.auth, String(request.id), request.params.id);
    return diagnosticsView(d, request.apiVersion.atLeast('2.48'));
  });
}
