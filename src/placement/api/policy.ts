/**
 * Placement's policy rules, with its names, as Placement 2026.1 defaults them
 * (placement/policies/*.py). Placement is an admin (and service) API: every
 * rule but one is role:admin. The exception is GET /usages, which a project's
 * readers may ask about their own project. The service role is left out: this
 * cloud issues no token that holds it.
 */
import { PolicyNotAuthorized, Unauthorized } from '../../errors.js';
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

const ADMIN = 'role:admin';
const ADMIN_OR_PROJECT_READER = `${ADMIN} or (role:reader and project_id:%(project_id)s)`;
const PROJECT_READER_ACTIONS: ReadonlySet<string> = new Set<PlacementAction>(['placement:usages']);

export const placementPolicyDefaults: PolicyRuleDefault[] = NAMES.map((name) => ({
  name, checkStr: PROJECT_READER_ACTIONS.has(name) ? ADMIN_OR_PROJECT_READER : ADMIN,
}));

/** Keystone's default roles imply each other: admin > member > reader. */
const isReader = (auth: AuthContext) => ['reader', 'member', 'admin'].some((r) => auth.roles.includes(r));

/** The defaults, for when no policy engine is wired in. */
export const defaultPlacementPolicy: Authorizer = {
  authorize(action: string, target: PolicyTarget, auth: AuthContext): void {
    if (!this.allowed(action, target, auth)) throw new PolicyNotAuthorized(action);
  },
  allowed(action: string, target: PolicyTarget, auth: AuthContext): boolean {
    if (auth.roles.includes('admin')) return true;
    return PROJECT_READER_ACTIONS.has(action) && isReader(auth) && target.project_id === auth.projectId;
  },
};

/**
 * Checks `action` for the caller. The target defaults to the caller's own
 * project and user; a route about another project passes that project, as
 * placement's handlers do.
 */
export function authorize(policy: Authorizer, action: PlacementAction, auth: AuthContext | undefined, target?: PolicyTarget): void {
  if (!auth) throw new Unauthorized();
  policy.authorize(action, target ?? { project_id: auth.projectId, user_id: auth.userId }, auth);
}
