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

export interface IdentityTables {
  identity_domains: DomainRow;
  identity_projects: ProjectRow;
  identity_users: UserRow;
  identity_roles: RoleRow;
  identity_implied_roles: ImpliedRoleRow;
  identity_role_assignments: RoleAssignmentRow;
  identity_signing_keys: SigningKeyRow;
  identity_revocation_events: RevocationEventRow;
}

export type IdentityDb = Kysely<IdentityTables>;
