/**
 * Placement's policy rules, with its names. Placement is an admin (and
 * service) API: every rule defaults to role:admin.
 */
import { PolicyNotAuthorized, Unauthorized } from '../../http/errors.js';
import type { AuthContext } from '../../http/auth.js';
import type { Authorizer, PolicyRuleDefault, PolicyTarget } from '../../policy/types.js';

const NAMES = [
  'placement:resource_providers:list', 'placement:resource_providers:create', 'placement:resource_providers:show',
  'placement:resource_providers:update', 'placement:resource_providers:delete',
  'placement:resource_providers:inventories:list', 'placement:resource_providers:inventories:create',
  'placement:resource_providers:inventories:show', 'placement:resource_providers:inventories:update',
  'placement:resource_providers:inventories:delete',
  'placement:resource_providers:aggregates:list', 'placement:resource_providers:aggregates:update',
  'placement:resource_providers:usages',
  'placement:resource_providers:traits:list', 'placement:resource_providers:traits:update',
  'placement:resource_providers:traits:delete',
  'placement:resource_providers:allocations:list',
  'placement:allocations:list', 'placement:allocations:manage', 'placement:allocations:update', 'placement:allocations:delete',
  'placement:allocation_candidates:list',
  'placement:resource_classes:list', 'placement:resource_classes:create', 'placement:resource_classes:show',
  'placement:resource_classes:update', 'placement:resource_classes:delete',
  'placement:traits:list', 'placement:traits:show', 'placement:traits:update', 'placement:traits:delete',
  'placement:usages',
] as const;

export type PlacementAction = typeof NAMES[number];

export const placementPolicyDefaults: PolicyRuleDefault[] = NAMES.map((name) => ({ name, checkStr: 'role:admin' }));

/** The defaults, for when no policy engine is wired in: admin role or nothing. */
export const adminOnlyAuthorizer: Authorizer = {
  authorize(action: string, target: PolicyTarget, auth: AuthContext): void {
    if (!this.allowed(action, target, auth)) throw new PolicyNotAuthorized(action);
  },
  allowed(_action: string, _target: PolicyTarget, auth: AuthContext): boolean {
    return auth.roles.includes('admin');
  },
};

export function authorize(policy: Authorizer, action: PlacementAction, auth: AuthContext | undefined): void {
  if (!auth) throw new Unauthorized();
  policy.authorize(action, { project_id: auth.projectId, user_id: auth.userId }, auth);
}
