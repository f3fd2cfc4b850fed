/**
 * The identity API (Keystone v3 subset) plugin, registered at /identity.
 * Without an explicit policy it enforces Keystone's defaults.
 */
import type { FastifyInstance } from 'fastify';
import { applyServiceScope } from '../../http/service-scope.js';
import { PolicyEnforcer } from '../../policy/enforcer.js';
import { identityPolicyDefaults } from '../../policy/defaults/identity.js';
import type { Authorizer } from '../../policy/types.js';
import type { IdentityService } from '../service.js';
import type { IdentityRouteContext } from './context.js';
import { registerVersionRoutes } from './versions.js';
import { registerTokenRoutes } from './tokens.js';
import { registerProjectRoutes } from './projects.js';
import { registerUserRoutes } from './users.js';
import { registerRoleRoutes } from './roles.js';
import { registerCatalogRoutes } from './services.js';
import { registerDomainRoutes } from './domains.js';
import { registerGroupRoutes } from './groups.js';
import { registerGrantRoutes } from './grants.js';
import { registerPolicyRoutes } from './policies.js';
import { registerCredentialRoutes } from './credentials.js';
import { registerTrustRoutes } from './trusts.js';
import { registerApplicationCredentialRoutes } from './application-credentials.js';
import { registerEc2CredentialRoutes } from './ec2-credentials.js';

export interface IdentityApiOptions {
  identity: IdentityService;
  policy?: Authorizer;
}

export async function identityApi(app: FastifyInstance, opts: IdentityApiOptions): Promise<void> {
  applyServiceScope(app, { style: 'identity', tokens: opts.identity });
  const ctx: IdentityRouteContext = {
    identity: opts.identity,
    policy: opts.policy ?? new PolicyEnforcer(identityPolicyDefaults, { logger: app.log as never }),
    prefix: app.prefix,
  };
  registerVersionRoutes(app, ctx);
  registerTokenRoutes(app, ctx);
  registerProjectRoutes(app, ctx);
  registerUserRoutes(app, ctx);
  registerRoleRoutes(app, ctx);
  registerCatalogRoutes(app, ctx);
  registerDomainRoutes(app, ctx);
  registerGroupRoutes(app, ctx);
  registerGrantRoutes(app, ctx);
  registerPolicyRoutes(app, ctx);
  registerCredentialRoutes(app, ctx);
  registerTrustRoutes(app, ctx);
  registerApplicationCredentialRoutes(app, ctx);
  registerEc2CredentialRoutes(app, ctx);
}
