/**
 * The image service's tables, in its own migration history (kilonova_migrations_image),
 * as Glance keeps its own schema. Images are soft-deleted (deleted=1) so a
 * deleted image's id can never be reused, as in Glance.
 */
import type { Kysely } from 'kysely';
import type { MigrationSet } from '../db/migrate.js';

async function initial(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('images')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)')
    .addColumn('status', 'varchar(30)', (c) => c.notNull())
    .addColumn('visibility', 'varchar(20)', (c) => c.notNull())
    .addColumn('owner', 'varchar(255)')
    .addColumn('disk_format', 'varchar(20)')
    .addColumn('container_format', 'varchar(20)')
    .addColumn('size', 'bigint')
    .addColumn('virtual_size', 'bigint')
    .addColumn('checksum', 'varchar(32)')
    .addColumn('os_hash_algo', 'varchar(64)')
    .addColumn('os_hash_value', 'varchar(128)')
    .addColumn('min_disk', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('min_ram', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('protected', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('os_hidden', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('deleted_at', 'varchar(32)')
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // The list query's visibility clause reads these; created_at is the default sort.
  await db.schema.createIndex('ix_images_owner').on('images').column('owner').execute();
  await db.schema.createIndex('ix_images_visibility').on('images').column('visibility').execute();
  await db.schema.createIndex('ix_images_deleted_created').on('images').columns(['deleted', 'created_at']).execute();

  await db.schema.createTable('image_properties')
    .addColumn('image_id', 'varchar(36)', (c) => c.notNull().references('images.id').onDelete('cascade'))
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_image_properties', ['image_id', 'name'])
    .execute();
  // Property filters on list look rows up by name and value.
  await db.schema.createIndex('ix_image_properties_name_value').on('image_properties').columns(['name', 'image_id']).execute();

  await db.schema.createTable('image_tags')
    .addColumn('image_id', 'varchar(36)', (c) => c.notNull().references('images.id').onDelete('cascade'))
    .addColumn('value', 'varchar(255)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_image_tags', ['image_id', 'value'])
    .execute();
  await db.schema.createIndex('ix_image_tags_value').on('image_tags').column('value').execute();
}

async function dropInitial(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('image_tags').ifExists().execute();
  await db.schema.dropTable('image_properties').ifExists().execute();
  await db.schema.dropTable('images').ifExists().execute();
}

/**
 * Image members (Glance's image_members): the projects a shared image is
 * offered to, with each one's answer. A membership is removed outright, and
 * goes with its image when the image is deleted (images are only marked
 * deleted, so the repository removes the rows itself rather than relying on
 * the cascade).
 */
async function imageMembers(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('image_members')
    .addColumn('image_id', 'varchar(36)', (c) => c.notNull().references('images.id').onDelete('cascade'))
    .addColumn('member_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('status', 'varchar(20)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_image_members', ['image_id', 'member_id'])
    .execute();
  // The image list looks up the viewer's memberships by project.
  await db.schema.createIndex('ix_image_members_member').on('image_members').columns(['member_id', 'status']).execute();
}

async function dropImageMembers(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('image_members').ifExists().execute();
}

export const imageMigrations: MigrationSet = {
  name: 'image',
  migrations: {
    '001_initial': { up: initial, down: dropInitial },
    '002_image_members': { up: imageMembers, down: dropImageMembers },
  },
};
