/**
 * The network API (Neutron v2.0 subset), registered at /network. Errors are
 * NeutronError bodies; policy is Neutron's defaults unless an engine is given.
 */
import type { FastifyInstance } from 'fastify';
import { applyServiceScope } from '../../http/service-scope.js';
import type { TokenValidator } from '../../http/auth.js';
import type { Authorizer } from '../../policy/types.js';
import type { NetworkService } from '../service.js';
import { NeutronDefaultPolicy } from './policy.js';
import type { NetworkApiContext } from './common.js';
import { registerDiscoveryRoutes } from './discovery.js';
import { registerNetworkRoutes } from './networks.js';
import { registerSubnetRoutes } from './subnets.js';
import { registerPortRoutes } from './ports.js';
import { registerTagRoutes } from './tags.js';
import { registerQuotaRoutes } from './quotas.js';
import { registerSecurityGroupRoutes } from './security-groups.js';
import { registerTrunkRoutes } from './trunks.js';
import { registerRouterRoutes } from './routers.js';
import { registerFloatingIpRoutes } from './floating-ips.js';
import { registerAvailabilityRoutes } from './availability.js';
import { registerSubnetPoolRoutes } from './subnet-pools.js';
import { registerRbacPolicyRoutes } from './rbac-policies.js';
import { registerAgentRoutes } from './agents.js';
import { registerChangeNotifications } from './change-hook.js';

export interface NetworkApiOptions {
  network: NetworkService;
  /** Validates X-Auth-Token; every route but the version documents needs a token. */
  tokens: TokenValidator;
  /**
   * A policy engine with NETWORK_POLICY_DEFAULTS registered (policy.yaml
   * overrides apply there). Without one, Neutron's defaults are evaluated directly.
   */
  policy?: Authorizer;
}

export async function networkApi(app: FastifyInstance, opts: NetworkApiOptions): Promise<void> {
  applyServiceScope(app, { style: 'network', tokens: opts.tokens });
  const ctx: NetworkApiContext = {
    network: opts.network,
    policy: opts.policy ?? new NeutronDefaultPolicy(),
    prefix: app.prefix,
  };
  registerDiscoveryRoutes(app, ctx);
  registerChangeNotifications(app, opts.network, app.prefix);
  await app.register(async (v2) => {
    registerNetworkRoutes(v2, ctx);
    registerSubnetRoutes(v2, ctx);
    registerPortRoutes(v2, ctx);
    registerTagRoutes(v2, ctx);
    registerQuotaRoutes(v2, ctx);
    registerSecurityGroupRoutes(v2, ctx);
    registerTrunkRoutes(v2, ctx);
    registerRouterRoutes(v2, ctx);
    registerFloatingIpRoutes(v2, ctx);
    registerAvailabilityRoutes(v2, ctx);
    registerSubnetPoolRoutes(v2, ctx);
    registerRbacPolicyRoutes(v2, ctx);
    registerAgentRoutes(v2, ctx);
  }, { prefix: '/v2.0' });
}
