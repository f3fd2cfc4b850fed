/**
 * Nova's proxy and admin resources (images and their metadata, security
 * groups, networks, usage, migrations, hosts, the usage audit log), registered
 * together so routes.ts carries one line for them.
 */
import type { FastifyInstance } from 'fastify';
import type { ComputeApiDeps } from './deps.js';
import { registerImageRoutes } from './images.js';
import { registerImageMetadataRoutes } from './image-metadata.js';
import { registerSecurityGroupRoutes } from './security-groups.js';

export function registerProxyRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  registerImageRoutes(app, deps);
  registerImageMetadataRoutes(app, deps);
  registerSecurityGroupRoutes(app, deps);
}
