/** What the identity route modules share: the service, the policy and URL building. */
import type { FastifyRequest } from 'fastify';
import type { Authorizer, PolicyTarget } from '../../policy/types.js';
import type { IdentityService } from '../service.js';

export interface IdentityRouteContext {
  identity: IdentityService;
  policy: Authorizer;
  /** The mount point of the identity API (normally "/identity"). */
  prefix: string;
}

/** The identity endpoint's base URL: the configured public endpoint, else the request's own host. */
export function identityBase(ctx: IdentityRouteContext, request: FastifyRequest): string {
  const base = ctx.identity.publicEndpoint ?? `${request.protocol}://${request.host}`;
  return `${base}${ctx.prefix}`;
}

export function v3Url(ctx: IdentityRouteContext, request: FastifyRequest, path: string): string {
  return `${identityBase(ctx, request)}/v3${path}`;
}

export function authorize(ctx: IdentityRouteContext, request: FastifyRequest, action: string, target: PolicyTarget = {}): void {
  ctx.policy.authorize(action, target, request.auth);
}

/** Keystone's collection links (we do not page). */
export function collectionLinks(ctx: IdentityRouteContext, request: FastifyRequest, path: string): { self: string; previous: null; next: null } {
  return { self: v3Url(ctx, request, path), previous: null, next: null };
}
