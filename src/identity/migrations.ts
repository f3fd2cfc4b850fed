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

export const identityMigrations: MigrationSet = {
  name: 'identity',
  migrations: {
    '001_initial': { up: initial },
  },
};
