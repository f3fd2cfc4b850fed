import type { Kysely } from 'kysely';
import type { MigrationSet } from '../db/migrate.js';
import { withAutoId } from '../db/schema-helpers.js';

async function initial(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('identity_domains')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  await db.schema.createTable('identity_projects')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('domain_id', 'varchar(64)', (c) => c.notNull().references('identity_domains.id'))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('extra', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)')
    .addUniqueConstraint('uniq_identity_projects_domain_name', ['domain_id', 'name'])
    .execute();

  await db.schema.createTable('identity_users')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('domain_id', 'varchar(64)', (c) => c.notNull().references('identity_domains.id'))
    .addColumn('password_hash', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('default_project_id', 'varchar(64)')
    .addColumn('extra', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)')
    .addUniqueConstraint('uniq_identity_users_domain_name', ['domain_id', 'name'])
    .execute();

  await db.schema.createTable('identity_roles')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  await db.schema.createTable('identity_implied_roles')
    .addColumn('prior_role_id', 'varchar(64)', (c) => c.notNull().references('identity_roles.id').onDelete('cascade'))
    .addColumn('implied_role_id', 'varchar(64)', (c) => c.notNull().references('identity_roles.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('pk_identity_implied_roles', ['prior_role_id', 'implied_role_id'])
    .execute();

  await db.schema.createTable('identity_role_assignments')
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('identity_users.id').onDelete('cascade'))
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull().references('identity_projects.id').onDelete('cascade'))
    .addColumn('role_id', 'varchar(64)', (c) => c.notNull().references('identity_roles.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('pk_identity_role_assignments', ['user_id', 'project_id', 'role_id'])
    .execute();
  await db.schema.createIndex('ix_identity_role_assignments_project')
    .on('identity_role_assignments').column('project_id').execute();
  await db.schema.createIndex('ix_identity_role_assignments_role')
    .on('identity_role_assignments').column('role_id').execute();

  await db.schema.createTable('identity_signing_keys')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  await withAutoId(db, db.schema.createTable('identity_revocation_events'))
    .addColumn('audit_id', 'varchar(64)')
    .addColumn('user_id', 'varchar(64)')
    .addColumn('project_id', 'varchar(64)')
    .addColumn('role_id', 'varchar(64)')
    .addColumn('issued_before', 'varchar(32)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_identity_revocation_events_expires')
    .on('identity_revocation_events').column('expires_at').execute();
}

/**
 * Groups, the other grant types, the stored catalog (regions, services,
 * endpoints), policy blobs, credentials, trusts and application credentials.
 * No foreign keys: the store deletes dependants itself, the same on both dialects.
 */
async function resources(db: Kysely<any>): Promise<void> {
  // A project under another project (null: directly under its domain).
  await db.schema.alterTable('identity_projects').addColumn('parent_id', 'varchar(64)').execute();

  await db.schema.createTable('identity_groups')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('domain_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('extra', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addUniqueConstraint('uniq_identity_groups_domain_name', ['domain_id', 'name'])
    .execute();

  await db.schema.createTable('identity_group_members')
    .addColumn('group_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_identity_group_members', ['group_id', 'user_id'])
    .execute();
  await db.schema.createIndex('ix_identity_group_members_user').on('identity_group_members').column('user_id').execute();

  await db.schema.createTable('identity_grants')
    .addColumn('type', 'varchar(16)', (c) => c.notNull())
    .addColumn('actor_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('target_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('role_id', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_identity_grants', ['type', 'actor_id', 'target_id', 'role_id'])
    .execute();
  await db.schema.createIndex('ix_identity_grants_target').on('identity_grants').column('target_id').execute();

  await db.schema.createTable('identity_regions')
    .addColumn('id', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('parent_region_id', 'varchar(255)')
    .addColumn('extra', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  await db.schema.createTable('identity_services')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('type', 'varchar(255)', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('extra', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  await db.schema.createTable('identity_endpoints')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('service_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('interface', 'varchar(8)', (c) => c.notNull())
    .addColumn('region_id', 'varchar(255)')
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('extra', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  await db.schema.createTable('identity_policies')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('type', 'varchar(255)', (c) => c.notNull())
    .addColumn('blob', 'text', (c) => c.notNull())
    .addColumn('extra', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  await db.schema.createTable('identity_credentials')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('project_id', 'varchar(64)')
    .addColumn('type', 'varchar(255)', (c) => c.notNull())
    .addColumn('blob', 'text', (c) => c.notNull())
    .addColumn('extra', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_identity_credentials_user').on('identity_credentials').column('user_id').execute();

  await db.schema.createTable('identity_trusts')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('trustor_user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('trustee_user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('project_id', 'varchar(64)')
    .addColumn('impersonation', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)')
    .addColumn('remaining_uses', 'integer')
    .addColumn('extra', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  await db.schema.createTable('identity_trust_roles')
    .addColumn('trust_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('role_id', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_identity_trust_roles', ['trust_id', 'role_id'])
    .execute();

  await db.schema.createTable('identity_application_credentials')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)')
    .addColumn('unrestricted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addUniqueConstraint('uniq_identity_app_creds_user_name', ['user_id', 'name'])
    .execute();

  await db.schema.createTable('identity_application_credential_roles')
    .addColumn('application_credential_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('role_id', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_identity_app_cred_roles', ['application_credential_id', 'role_id'])
    .execute();
}

export const identityMigrations: MigrationSet = {
  name: 'identity',
  migrations: {
    '001_initial': { up: initial },
    '002_resources': { up: resources },
  },
};
