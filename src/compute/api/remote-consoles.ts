/**
 * POST /servers/{id}/remote-consoles (2.6+) and, before 2.6, the
 * os-getVNCConsole / os-getSPICEConsole / os-getRDPConsole /
 * os-getSerialConsole actions: a URL for the server's console.
 */
import type { FastifyInstance } from 'fastify';
import { NotFound } from '../../errors.js';
import { validate } from '../../http/validation.js';
import type { ConsoleProtocol } from '../../virt/driver.js';
import type { ComputeApiDeps } from './deps.js';
import type { ActionHandler } from './server-actions.js';
import { getRdpConsoleSchema, getSerialConsoleSchema, getSpiceConsoleSchema, getVncConsoleSchema, remoteConsoleV26Schema, remoteConsoleV28Schema } from './schemas/remote-consoles.js';

function legacyConsoleAction(action: string, protocol: ConsoleProtocol, schema: object): ActionHandler {
  return {
    async handle(a) {
      // Gone from 2.6, where remote-consoles replaces them.
      if (a.request.apiVersion.atLeast('2.6')) {
        await a.deps.computeApi.authorizeOn(a.request.auth, a.id, 'os_compute_api:servers:show');
        throw new NotFound(`There is no such action: ${action}`);
      }
      validate(schema, a.body);
      const type = (a.arg as { type: string }).type;
      const url = await a.deps.computeApi.consoles.getRemoteConsole(a.request.auth, a.rid, a.id, protocol, type, true);
      return { console: { type, url } };
    },
  };
}

export const CONSOLE_ACTIONS: Record<string, ActionHandler> = {
  'os-getVNCConsole': legacyConsoleAction('os-getVNCConsole', 'vnc', getVncConsoleSchema),
  'os-getSPICEConsole': legacyConsoleAction('os-getSPICEConsole', 'spice', getSpiceConsoleSchema),
  'os-getRDPConsole': legacyConsoleAction('os-getRDPConsole', 'rdp', getRdpConsoleSchema),
  'os-getSerialConsole': legacyConsoleAction('os-getSerialConsole', 'serial', getSerialConsoleSchema),
};

export function registerRemoteConsoleRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  app.post<{ Params: { id: string } }>('/servers/:id/remote-consoles', async (request) => {
    const v = request.apiVersion;
    if (!v.atLeast('2.6')) {
      await deps.computeApi.authorizeOn(request.auth, request.params.id, 'os_compute_api:servers:show');
      throw new NotFound('The resource could not be found.');
    }
    validate(v.atLeast('2.8') ? remoteConsoleV28Schema : remoteConsoleV26Schema, request.body);
    const { protocol, type } = (request.body as { remote_console: { protocol: ConsoleProtocol; type: string } }).remote_console;
    const url = await deps.computeApi.consoles.getRemoteConsole(request.auth, String(request.id), request.params.id, protocol, type);
    return { remote_console: { protocol, type, url } };
  });
}
