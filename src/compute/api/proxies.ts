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
import { registerNetworkRoutes } from './networks.js';
import { registerSimpleTenantUsageRoutes } from './simple-tenant-usage.js';
import { registerMigrationRoutes } from './migrations.js';
import { registerHostRoutes } from './hosts.js';
import { registerInstanceUsageAuditLogRoutes } from './instance-usage-audit-log.js';

export function registerProxyRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  registerImageRoutes(app, deps);
  registerImageMetadataRoutes(app, deps);
  registerSecurityGroupRoutes(app, deps);
  registerNetworkRoutes(app, deps);
  registerSimpleTenantUsageRoutes(app, deps);
  registerMigrationRoutes(app, deps);
  registerHostRoutes(app, deps);
  registerInstanceUsageAuditLogRoutes(app, deps);
}
