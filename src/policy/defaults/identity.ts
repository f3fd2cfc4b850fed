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
  rule('identity:list_project_tags', `${ADMIN} or project_id:%(target.project.id)s`),
  rule('identity:get_project_tag', `${ADMIN} or project_id:%(target.project.id)s`),
  rule('identity:update_project_tags', ADMIN),
  rule('identity:create_project_tag', ADMIN),
  rule('identity:delete_project_tags', ADMIN),
  rule('identity:delete_project_tag', ADMIN),

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

  rule('identity:get_implied_role', ADMIN),
  rule('identity:list_implied_roles', ADMIN),
  rule('identity:list_role_inference_rules', ADMIN),
  rule('identity:check_implied_role', ADMIN),
  rule('identity:create_implied_role', ADMIN),
  rule('identity:delete_implied_role', ADMIN),

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

  // Domains, groups, grants beyond a user's on a project, the stored catalog,
  // policy blobs, credentials, trusts and application credentials.
  rule('identity_owner', 'user_id:%(user_id)s'),
  // Keystone calls these owner and admin_or_owner; Nova's admin_or_owner shares the enforcer.
  rule('identity_admin_or_owner', 'rule:admin_required or rule:identity_owner'),
  rule('trustor', 'user_id:%(target.trust.trustor_user_id)s'),
  rule('trustee', 'user_id:%(target.trust.trustee_user_id)s'),
  rule('credential_owner', 'user_id:%(target.credential.user_id)s'),

  rule('identity:create_domain', ADMIN),
  rule('identity:update_domain', ADMIN),
  rule('identity:delete_domain', ADMIN),

  rule('identity:get_group', ADMIN),
  rule('identity:list_groups', ADMIN),
  rule('identity:list_groups_for_user', `${ADMIN} or user_id:%(target.user.id)s`),
  rule('identity:create_group', ADMIN),
  rule('identity:update_group', ADMIN),
  rule('identity:delete_group', ADMIN),
  rule('identity:list_users_in_group', ADMIN),
  rule('identity:add_user_to_group', ADMIN),
  rule('identity:check_user_in_group', ADMIN),
  rule('identity:remove_user_from_group', ADMIN),

  rule('identity:list_system_grants_for_user', ADMIN),
  rule('identity:check_system_grant_for_user', ADMIN),
  rule('identity:create_system_grant_for_user', ADMIN),
  rule('identity:revoke_system_grant_for_user', ADMIN),
  rule('identity:list_system_grants_for_group', ADMIN),
  rule('identity:check_system_grant_for_group', ADMIN),
  rule('identity:create_system_grant_for_group', ADMIN),
  rule('identity:revoke_system_grant_for_group', ADMIN),

  rule('identity:create_service', ADMIN),
  rule('identity:update_service', ADMIN),
  rule('identity:delete_service', ADMIN),
  rule('identity:create_endpoint', ADMIN),
  rule('identity:update_endpoint', ADMIN),
  rule('identity:delete_endpoint', ADMIN),
  rule('identity:create_region', ADMIN),
  rule('identity:update_region', ADMIN),
  rule('identity:delete_region', ADMIN),

  rule('identity:get_policy', ADMIN),
  rule('identity:list_policies', ADMIN),
  rule('identity:create_policy', ADMIN),
  rule('identity:update_policy', ADMIN),
  rule('identity:delete_policy', ADMIN),

  rule('identity:get_credential', `${ADMIN} or rule:credential_owner`),
  // Everyone may list; the list holds only the caller's own unless it is an admin.
  rule('identity:list_credentials', ''),
  rule('identity:create_credential', `${ADMIN} or rule:credential_owner`),
  rule('identity:update_credential', `${ADMIN} or rule:credential_owner`),
  rule('identity:delete_credential', `${ADMIN} or rule:credential_owner`),

  rule('identity:ec2_get_credential', `${ADMIN} or rule:credential_owner`),
  rule('identity:ec2_list_credentials', 'rule:identity_admin_or_owner'),
  rule('identity:ec2_create_credential', 'rule:identity_admin_or_owner'),
  rule('identity:ec2_delete_credential', `${ADMIN} or rule:credential_owner`),

  rule('identity:create_trust', 'rule:trustor'),
  rule('identity:list_trusts', ADMIN),
  rule('identity:list_trusts_for_trustor', `${ADMIN} or rule:trustor`),
  rule('identity:list_trusts_for_trustee', `${ADMIN} or rule:trustee`),
  rule('identity:get_trust', `${ADMIN} or rule:trustor or rule:trustee`),
  rule('identity:list_roles_for_trust', `${ADMIN} or rule:trustor or rule:trustee`),
  rule('identity:get_role_for_trust', `${ADMIN} or rule:trustor or rule:trustee`),
  rule('identity:delete_trust', `${ADMIN} or rule:trustor`),

  rule('identity:create_application_credential', 'rule:identity_owner'),
  rule('identity:get_application_credential', 'rule:identity_admin_or_owner'),
  rule('identity:list_application_credentials', 'rule:identity_admin_or_owner'),
  rule('identity:delete_application_credential', 'rule:identity_admin_or_owner'),
];
