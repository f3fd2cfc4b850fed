/**
 * Placement's schema. Tables carry a placement_ prefix because every service
 * shares one database here, and identity has its own projects/users while Nova
 * has its own aggregates. Standard resource classes and traits live in code
 * (standard.ts); only custom ones get rows.
 */
import type { Kysely } from 'kysely';
import type { MigrationSet } from '../db/migrate.js';
import { withAutoId } from '../db/schema-helpers.js';

async function initial(db: Kysely<any>): Promise<void> {
  await withAutoId(db, db.schema.createTable('placement_resource_providers'))
    .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('name', 'varchar(200)', (c) => c.notNull().unique())
    .addColumn('generation', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('parent_provider_uuid', 'varchar(36)')
    .addColumn('root_provider_uuid', 'varchar(36)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('placement_rp_root_idx').on('placement_resource_providers').column('root_provider_uuid').execute();
  await db.schema.createIndex('placement_rp_parent_idx').on('placement_resource_providers').column('parent_provider_uuid').execute();

  await db.schema.createTable('placement_inventories')
    .addColumn('resource_provider_id', 'integer', (c) => c.notNull().references('placement_resource_providers.id').onDelete('cascade'))
    .addColumn('resource_class', 'varchar(255)', (c) => c.notNull())
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('reserved', 'integer', (c) => c.notNull())
    .addColumn('min_unit', 'integer', (c) => c.notNull())
    .addColumn('max_unit', 'integer', (c) => c.notNull())
    .addColumn('step_size', 'integer', (c) => c.notNull())
    .addColumn('allocation_ratio', 'double precision', (c) => c.notNull())
    // The sum of this class's allocations on the provider, kept by every
    // allocation write under the provider's lock, so capacity checks and
    // candidate searches read one row instead of summing allocations.
    .addColumn('used', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('placement_inventories_pk', ['resource_provider_id', 'resource_class'])
    .execute();
  await db.schema.createIndex('placement_inv_rc_idx').on('placement_inventories').column('resource_class').execute();

  await db.schema.createTable('placement_consumers')
    .addColumn('uuid', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('consumer_type', 'varchar(255)')
    .addColumn('generation', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('placement_consumers_project_user_idx').on('placement_consumers').columns(['project_id', 'user_id']).execute();

  // No foreign key to consumers: like placement, a consumer is written after its
  // allocations in the same transaction and is removed when its last allocation goes.
  await db.schema.createTable('placement_allocations')
    .addColumn('consumer_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('resource_provider_id', 'integer', (c) => c.notNull().references('placement_resource_providers.id'))
    .addColumn('resource_class', 'varchar(255)', (c) => c.notNull())
    .addColumn('used', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('placement_allocations_pk', ['consumer_id', 'resource_provider_id', 'resource_class'])
    .execute();
  await db.schema.createIndex('placement_alloc_rp_idx').on('placement_allocations')
    .columns(['resource_provider_id', 'resource_class']).execute();

  await withAutoId(db, db.schema.createTable('placement_resource_classes'))
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  await withAutoId(db, db.schema.createTable('placement_traits'))
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  await db.schema.createTable('placement_provider_traits')
    .addColumn('resource_provider_id', 'integer', (c) => c.notNull().references('placement_resource_providers.id').onDelete('cascade'))
    .addColumn('trait', 'varchar(255)', (c) => c.notNull())
    .addPrimaryKeyConstraint('placement_provider_traits_pk', ['resource_provider_id', 'trait'])
    .execute();
  await db.schema.createIndex('placement_provider_traits_trait_idx').on('placement_provider_traits').column('trait').execute();

  await db.schema.createTable('placement_provider_aggregates')
    .addColumn('resource_provider_id', 'integer', (c) => c.notNull().references('placement_resource_providers.id').onDelete('cascade'))
    .addColumn('aggregate_uuid', 'varchar(36)', (c) => c.notNull())
    .addPrimaryKeyConstraint('placement_provider_aggregates_pk', ['resource_provider_id', 'aggregate_uuid'])
    .execute();
  await db.schema.createIndex('placement_provider_aggs_agg_idx').on('placement_provider_aggregates').column('aggregate_uuid').execute();
}

async function dropAll(db: Kysely<any>): Promise<void> {
  for (const t of ['placement_provider_aggregates', 'placement_provider_traits', 'placement_traits', 'placement_resource_classes',
    'placement_allocations', 'placement_consumers', 'placement_inventories', 'placement_resource_providers']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}

export const placementMigrations: MigrationSet = {
  name: 'placement',
  migrations: {
    '001_initial': { up: initial, down: dropAll },
  },
};
