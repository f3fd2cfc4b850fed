/** The identity service's tables (all prefixed identity_, sharing a database with the other services). */
import type { Generated, Kysely } from 'kysely';

export interface DomainRow {
  id: string;
  name: string;
  description: string;
  enabled: number;
  created_at: string;
}

export interface ProjectRow {
  id: string;
  name: string;
  domain_id: string;
  description: string;
  enabled: number;
  /** JSON: tags and any extra attributes a client sent. */
  extra: string;
  created_at: string;
  updated_at: string | null;
  /** The parent project; null for one directly under its domain. */
  parent_id: Generated<string | null>;
}

export interface UserRow {
  id: string;
  name: string;
  domain_id: string;
  /** scrypt$N$r$p$salt$hash; null for a user who cannot authenticate by password. */
  password_hash: string | null;
  enabled: number;
  default_project_id: string | null;
  /** JSON: description, email and any extra attributes a client sent. */
  extra: string;
  created_at: string;
  updated_at: string | null;
}

export interface RoleRow {
  id: string;
  name: string;
  description: string;
  created_at: string;
}

export interface ImpliedRoleRow {
  prior_role_id: string;
  implied_role_id: string;
}

export interface RoleAssignmentRow {
  user_id: string;
  project_id: string;
  role_id: string;
}

export interface SigningKeyRow {
  id: string;
  /** base64 of the HMAC key. */
  secret: string;
  created_at: string;
}

/**
 * Keystone's revocation events: a token is revoked when every non-null
 * column matches it and it was issued at or before issued_before.
 */
export interface RevocationEventRow {
  id: Generated<number>;
  audit_id: string | null;
  user_id: string | null;
  project_id: string | null;
  role_id: string | null;
  issued_before: string;
  /** After this no token the event could match is still valid; the row may go. */
  expires_at: string;
  created_at: string;
}

export interface GroupRow {
  id: string;
  name: string;
  domain_id: string;
  description: string;
  /** JSON: attributes a client sent that Keystone keeps without knowing them. */
  extra: string;
  created_at: string;
}

export interface GroupMemberRow {
  group_id: string;
  user_id: string;
}

/**
 * Grants other than a user's role on a project (which keeps its own table):
 * Keystone's assignment types UserDomain, GroupProject and GroupDomain.
 */
export interface GrantRow {
  type: 'UserDomain' | 'GroupProject' | 'GroupDomain' | 'UserSystem' | 'GroupSystem';
  actor_id: string;
  target_id: string;
  role_id: string;
}

export interface RegionRow {
  id: string;
  description: string;
  parent_region_id: string | null;
  extra: string;
  created_at: string;
}

export interface ServiceRow {
  id: string;
  type: string;
  enabled: number;
  /** JSON: name, description and any other attribute a client sent. */
  extra: string;
  created_at: string;
}

export interface EndpointRow {
  id: string;
  service_id: string;
  interface: string;
  region_id: string | null;
  url: string;
  enabled: number;
  extra: string;
  created_at: string;
}

/** The deprecated v3 policy blobs: stored and returned, never enforced. */
export interface PolicyBlobRow {
  id: string;
  type: string;
  blob: string;
  extra: string;
  created_at: string;
}

export interface CredentialRow {
  id: string;
  user_id: string;
  project_id: string | null;
  type: string;
  blob: string;
  extra: string;
  created_at: string;
}

export interface TrustRow {
  id: string;
  trustor_user_id: string;
  trustee_user_id: string;
  project_id: string | null;
  impersonation: number;
  expires_at: string | null;
  remaining_uses: number | null;
  extra: string;
  created_at: string;
}

export interface TrustRoleRow {
  trust_id: string;
  role_id: string;
}

export interface ApplicationCredentialRow {
  id: string;
  name: string;
  user_id: string;
  project_id: string;
  description: string;
  /** scrypt hash of the secret, which is shown once at creation. */
  secret_hash: string;
  expires_at: string | null;
  unrestricted: number;
  created_at: string;
}

export interface ApplicationCredentialRoleRow {
  application_credential_id: string;
  role_id: string;
}

export interface IdentityTables {
  identity_domains: DomainRow;
  identity_projects: ProjectRow;
  identity_users: UserRow;
  identity_roles: RoleRow;
  identity_implied_roles: ImpliedRoleRow;
  identity_role_assignments: RoleAssignmentRow;
  identity_signing_keys: SigningKeyRow;
  identity_revocation_events: RevocationEventRow;
  identity_groups: GroupRow;
  identity_group_members: GroupMemberRow;
  identity_grants: GrantRow;
  identity_regions: RegionRow;
  identity_services: ServiceRow;
  identity_endpoints: EndpointRow;
  identity_policies: PolicyBlobRow;
  identity_credentials: CredentialRow;
  identity_trusts: TrustRow;
  identity_trust_roles: TrustRoleRow;
  identity_application_credentials: ApplicationCredentialRow;
  identity_application_credential_roles: ApplicationCredentialRoleRow;
}

export type IdentityDb = Kysely<IdentityTables>;
