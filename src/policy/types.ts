import type { AuthContext } from '../http/auth.js';

/** A default rule, as oslo.policy registers it: a name and a check string. */
export interface PolicyRuleDefault {
  name: string;
  checkStr: string;
  description?: string;
}

/** The target of a check: attributes of the object acted on (project_id, user_id, ...). */
export type PolicyTarget = Record<string, unknown>;

export interface Authorizer {
  /** Throws PolicyNotAuthorized when `auth` may not do `action` on `target`. */
  authorize(action: string, target: PolicyTarget, auth: AuthContext): void;
  /** True when allowed; never throws for a denial. */
  allowed(action: string, target: PolicyTarget, auth: AuthContext): boolean;
}
