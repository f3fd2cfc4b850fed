/**
 * A small Authorizer that applies Nova's default check strings for the rules
 * these tests touch (the real engine lives in src/policy). Unknown rules are
 * denied, so a typo in a rule name fails a test instead of passing silently.
 */
import { PolicyNotAuthorized } from '../../src/errors.js';
import type { AuthContext } from '../../src/http/auth.js';
import type { Authorizer, PolicyTarget } from '../../src/policy/types.js';

type Check = (target: PolicyTarget, auth: AuthContext) => boolean;

const admin: Check = (_t, a) => a.roles.includes('admin');
const any: Check = () => true;
const projectReaderOrAdmin: Check = (t, a) => admin(t, a) || (a.roles.includes('reader') && t.project_id === a.projectId);
const adminOrOwnerUser: Check = (t, a) => admin(t, a) || t.user_id === a.userId;

const RULES: Record<string, Check> = {
  context_is_admin: admin,
  'os_compute_api:os-flavor-manage:create': admin,
  'os_compute_api:os-flavor-manage:update': admin,
  'os_compute_api:os-flavor-manage:delete': admin,
  'os_compute_api:os-flavor-extra-specs:index': projectReaderOrAdmin,
  'os_compute_api:os-flavor-extra-specs:show': projectReaderOrAdmin,
  'os_compute_api:os-flavor-extra-specs:create': admin,
  'os_compute_api:os-flavor-extra-specs:update': admin,
  'os_compute_api:os-flavor-extra-specs:delete': admin,
  'os_compute_api:os-flavor-access': admin,
  'os_compute_api:os-flavor-access:add_tenant_access': admin,
  'os_compute_api:os-flavor-access:remove_tenant_access': admin,
  'os_compute_api:os-keypairs:index': adminOrOwnerUser,
  'os_compute_api:os-keypairs:create': adminOrOwnerUser,
  'os_compute_api:os-keypairs:show': adminOrOwnerUser,
  'os_compute_api:os-keypairs:delete': adminOrOwnerUser,
  'os_compute_api:limits': any,
  'os_compute_api:limits:other_project': admin,
  ...Object.fromEntries(['index', 'show', 'create', 'update', 'delete', 'add_host', 'remove_host', 'set_metadata'].map((r) => [`os_compute_api:os-aggregates:${r}`, admin])),
  'compute:aggregates:images': admin,
  'os_compute_api:os-availability-zone:list': any,
  'os_compute_api:os-availability-zone:detail': admin,
  'os_compute_api:os-hypervisors:list': admin,
  'os_compute_api:os-hypervisors:list-detail': admin,
  'os_compute_api:os-hypervisors:statistics': admin,
  'os_compute_api:os-hypervisors:show': admin,
  'os_compute_api:os-hypervisors:uptime': admin,
  'os_compute_api:os-hypervisors:search': admin,
  'os_compute_api:os-hypervisors:servers': admin,
  'os_compute_api:os-services:list': admin,
  'os_compute_api:os-services:update': admin,
  'os_compute_api:os-services:delete': admin,
};

export const novaDefaultsAuthorizer: Authorizer = {
  allowed(action, target, auth) {
    const check = RULES[action];
    return check ? check(target, auth) : false;
  },
  authorize(action, target, auth) {
    if (!this.allowed(action, target, auth)) throw new PolicyNotAuthorized(action);
  },
};
