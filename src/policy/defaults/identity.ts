/**
 * Keystone's default policy (keystone/common/policies/*.py, 2026.1) for the
 * subset of the identity API we serve,
 * reduced to project-scoped tokens (there is no system or domain scope here):
 * the admin role may do everything; a user may read itself and the projects
 * it belongs to, and validate or revoke its own tokens. Targets follow
 * Keystone's flattened "target.<entity>.<attr>" keys. No base rule shares a
 * name with Nova's, so both sets can live in one enforcer.
 */
import type { PolicyRuleDefault } from '../types.js';

const ADMIN = 'rule:admin_required';

function rule(name: string, checkStr: string): PolicyRuleDefault {
  return { name, checkStr };
}

export const identityPolicyDefaults: PolicyRuleDefault[] = [
  rule('admin_required', 'role:admin'),
  rule('service_role', 'role:service'),
  rule('token_subject', 'user_id:%(target.token.user_id)s'),
  rule('service_admin_or_token_subject', 'rule:admin_required or rule:service_role or rule:token_subject'),

  rule('admin_or_token_subject', 'rule:admin_required or rule:token_subject'),

  // Keystone lets the service role validate (GET) a token but not check (HEAD) one.
  rule('identity:validate_token', 'rule:service_admin_or_token_subject'),
  rule('identity:check_token', 'rule:admin_or_token_subject'),
  rule('identity:revoke_token', 'rule:admin_or_token_subject'),

  rule('identity:get_domain', `${ADMIN} or project_domain_id:%(target.domain.id)s`),
  rule('identity:list_domains', ADMIN),

  rule('identity:get_project', `${ADMIN} or project_id:%(target.project.id)s`),
  rule('identity:list_projects', ADMIN),
  rule('identity:list_user_projects', `${ADMIN} or user_id:%(target.user.id)s`),
  rule('identity:create_project', ADMIN),
  rule('identity:update_project', ADMIN),
  rule('identity:delete_project', ADMIN),

  rule('identity:get_user', `${ADMIN} or user_id:%(target.user.id)s`),
  rule('identity:list_users', ADMIN),
  rule('identity:create_user', ADMIN),
  rule('identity:update_user', ADMIN),
  rule('identity:delete_user', ADMIN),

  rule('identity:get_role', ADMIN),
  rule('identity:list_roles', ADMIN),
  rule('identity:create_role', ADMIN),
  rule('identity:update_role', ADMIN),
  rule('identity:delete_role', ADMIN),

  rule('identity:check_grant', ADMIN),
  rule('identity:list_grants', ADMIN),
  rule('identity:create_grant', ADMIN),
  rule('identity:revoke_grant', ADMIN),
  rule('identity:list_role_assignments', ADMIN),

  rule('identity:get_service', ADMIN),
  rule('identity:list_services', ADMIN),
  rule('identity:get_endpoint', ADMIN),
  rule('identity:list_endpoints', ADMIN),
  rule('identity:get_region', ''),
  rule('identity:list_regions', ''),
];
