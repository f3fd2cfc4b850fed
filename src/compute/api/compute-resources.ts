/** The resources clients use beside servers themselves: quotas, server groups, tags, addresses, passwords, extensions, diagnostics, interfaces, remote consoles, external events, volume attachments. */
import type { FastifyInstance } from 'fastify';
import type { ComputeApiDeps } from './deps.js';
import { registerQuotaSetRoutes } from './quota-sets.js';
import { registerServerGroupRoutes } from './server-groups.js';
import { registerServerTagRoutes } from './server-tags.js';
import { registerIpsRoutes } from './ips.js';
import { registerServerPasswordRoutes } from './server-password.js';
import { registerExtensionRoutes } from './extensions.js';
import { registerServerDiagnosticsRoutes } from './server-diagnostics.js';
import { registerInterfaceRoutes } from './interfaces.js';
import { registerRemoteConsoleRoutes } from './remote-consoles.js';
import { registerServerExternalEventRoutes } from './server-external-events.js';
import { registerVolumeAttachmentRoutes } from './volume-attachments.js';

export function registerComputeResourceRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  registerQuotaSetRoutes(app, deps);
  registerServerGroupRoutes(app, deps);
  registerServerTagRoutes(app, deps);
  registerIpsRoutes(app, deps);
  registerServerPasswordRoutes(app, deps);
  registerExtensionRoutes(app, deps);
  registerServerDiagnosticsRoutes(app, deps);
  registerInterfaceRoutes(app, deps);
  registerRemoteConsoleRoutes(app, deps);
  registerServerExternalEventRoutes(app, deps);
  registerVolumeAttachmentRoutes(app, deps);
}
