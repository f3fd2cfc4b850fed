import type { Kysely } from 'kysely';
import type { MigrationSet } from '../../db/migrate.js';
import { withAutoId } from '../../db/schema-helpers.js';

async function initial(db: Kysely<any>): Promise<void> {
  await withAutoId(db, db.schema.createTable('services'))
    .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('host', 'varchar(255)', (c) => c.notNull())
    .addColumn('binary', 'varchar(255)', (c) => c.notNull())
    .addColumn('topic', 'varchar(255)', (c) => c.notNull())
    .addColumn('report_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('disabled_reason', 'varchar(255)')
    .addColumn('forced_down', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_seen_up', 'varchar(32)')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)')
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addUniqueConstraint('uniq_services_host_binary_deleted', ['host', 'binary', 'deleted'])
    .execute();

  await withAutoId(db, db.schema.createTable('compute_nodes'))
    .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('host', 'varchar(255)', (c) => c.notNull())
    .addColumn('hypervisor_hostname', 'varchar(255)', (c) => c.notNull())
    .addColumn('hypervisor_type', 'varchar(64)', (c) => c.notNull())
    .addColumn('hypervisor_version', 'integer', (c) => c.notNull())
    .addColumn('vcpus', 'integer', (c) => c.notNull())
    .addColumn('memory_mb', 'integer', (c) => c.notNull())
    .addColumn('local_gb', 'integer', (c) => c.notNull())
    .addColumn('vcpus_used', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('memory_mb_used', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('local_gb_used', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('running_vms', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cpu_info', 'text', (c) => c.notNull())
    .addColumn('host_ip', 'varchar(64)', (c) => c.notNull())
    .addColumn('disk_available_least', 'integer')
    .addColumn('cpu_allocation_ratio', 'real', (c) => c.notNull())
    .addColumn('ram_allocation_ratio', 'real', (c) => c.notNull())
    .addColumn('disk_allocation_ratio', 'real', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)')
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addUniqueConstraint('uniq_compute_nodes_host_node_deleted', ['host', 'hypervisor_hostname', 'deleted'])
    .execute();

  await withAutoId(db, db.schema.createTable('flavors'))
    .addColumn('flavorid', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('memory_mb', 'integer', (c) => c.notNull())
    .addColumn('vcpus', 'integer', (c) => c.notNull())
    .addColumn('root_gb', 'integer', (c) => c.notNull())
    .addColumn('ephemeral_gb', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('swap', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rxtx_factor', 'real', (c) => c.notNull().defaultTo(1))
    .addColumn('is_public', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('description', 'text')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)')
    .execute();

  await db.schema.createTable('flavor_extra_specs')
    .addColumn('flavor_id', 'integer', (c) => c.notNull().references('flavors.id').onDelete('cascade'))
    .addColumn('key', 'varchar(255)', (c) => c.notNull())
    .addColumn('value', 'varchar(255)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_flavor_extra_specs', ['flavor_id', 'key'])
    .execute();

  await db.schema.createTable('flavor_projects')
    .addColumn('flavor_id', 'integer', (c) => c.notNull().references('flavors.id').onDelete('cascade'))
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_flavor_projects', ['flavor_id', 'project_id'])
    .execute();

  await withAutoId(db, db.schema.createTable('key_pairs'))
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('fingerprint', 'varchar(255)', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('type', 'varchar(16)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addUniqueConstraint('uniq_key_pairs_user_name', ['user_id', 'name'])
    .execute();

  await withAutoId(db, db.schema.createTable('instances'))
    .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('display_name', 'varchar(255)', (c) => c.notNull())
    .addColumn('display_description', 'text')
    .addColumn('hostname', 'varchar(255)', (c) => c.notNull())
    .addColumn('host', 'varchar(255)')
    .addColumn('node', 'varchar(255)')
    .addColumn('launched_on', 'varchar(255)')
    .addColumn('availability_zone', 'varchar(255)')
    .addColumn('vm_state', 'varchar(32)', (c) => c.notNull())
    .addColumn('task_state', 'varchar(64)')
    .addColumn('power_state', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('image_ref', 'varchar(255)', (c) => c.notNull())
    .addColumn('flavor', 'text', (c) => c.notNull())
    .addColumn('vcpus', 'integer', (c) => c.notNull())
    .addColumn('memory_mb', 'integer', (c) => c.notNull())
    .addColumn('root_gb', 'integer', (c) => c.notNull())
    .addColumn('ephemeral_gb', 'integer', (c) => c.notNull())
    .addColumn('key_name', 'varchar(255)')
    .addColumn('key_data', 'text')
    .addColumn('user_data', 'text')
    .addColumn('config_drive', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('access_ip_v4', 'varchar(64)')
    .addColumn('access_ip_v6', 'varchar(64)')
    .addColumn('locked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_reason', 'text')
    .addColumn('launch_index', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('reservation_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('root_device_name', 'varchar(255)')
    .addColumn('progress', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('network_info', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('security_groups', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)')
    .addColumn('launched_at', 'varchar(32)')
    .addColumn('terminated_at', 'varchar(32)')
    .addColumn('deleted_at', 'varchar(32)')
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.createIndex('instances_project_deleted_idx').on('instances').columns(['project_id', 'deleted', 'created_at']).execute();
  await db.schema.createIndex('instances_host_deleted_idx').on('instances').columns(['host', 'deleted']).execute();
  await db.schema.createIndex('instances_deleted_created_idx').on('instances').columns(['deleted', 'created_at']).execute();

  await db.schema.createTable('instance_metadata')
    .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
    .addColumn('key', 'varchar(255)', (c) => c.notNull())
    .addColumn('value', 'varchar(255)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_instance_metadata', ['instance_uuid', 'key'])
    .execute();

  await withAutoId(db, db.schema.createTable('instance_faults'))
    .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
    .addColumn('code', 'integer', (c) => c.notNull())
    .addColumn('message', 'varchar(255)', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('host', 'varchar(255)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('instance_faults_uuid_idx').on('instance_faults').column('instance_uuid').execute();

  await withAutoId(db, db.schema.createTable('instance_actions'))
    .addColumn('action', 'varchar(255)', (c) => c.notNull())
    .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
    .addColumn('request_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('start_time', 'varchar(32)', (c) => c.notNull())
    .addColumn('finish_time', 'varchar(32)')
    .addColumn('message', 'varchar(255)')
    .addColumn('updated_at', 'varchar(32)')
    .execute();
  await db.schema.createIndex('instance_actions_uuid_req_idx').on('instance_actions').columns(['instance_uuid', 'request_id']).execute();

  await withAutoId(db, db.schema.createTable('instance_actions_events'))
    .addColumn('action_id', 'integer', (c) => c.notNull().references('instance_actions.id').onDelete('cascade'))
    .addColumn('event', 'varchar(255)', (c) => c.notNull())
    .addColumn('start_time', 'varchar(32)', (c) => c.notNull())
    .addColumn('finish_time', 'varchar(32)')
    .addColumn('result', 'varchar(255)')
    .addColumn('traceback', 'text')
    .addColumn('host', 'varchar(255)')
    .addColumn('details', 'text')
    .execute();
  await db.schema.createIndex('instance_actions_events_action_idx').on('instance_actions_events').column('action_id').execute();

  await db.schema.createTable('request_specs')
    .addColumn('instance_uuid', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('spec', 'text', (c) => c.notNull())
    .execute();

  await withAutoId(db, db.schema.createTable('block_device_mapping'))
    .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
    .addColumn('device_name', 'varchar(255)')
    .addColumn('source_type', 'varchar(255)', (c) => c.notNull())
    .addColumn('destination_type', 'varchar(255)', (c) => c.notNull())
    .addColumn('boot_index', 'integer')
    .addColumn('image_id', 'varchar(36)')
    .addColumn('volume_id', 'varchar(36)')
    .addColumn('volume_size', 'integer')
    .addColumn('delete_on_termination', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('guest_format', 'varchar(255)')
    .addColumn('disk_bus', 'varchar(255)')
    .addColumn('device_type', 'varchar(255)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('bdm_instance_idx').on('block_device_mapping').column('instance_uuid').execute();
}

/**
 * Nova's migrations table: one row per resize, cold or live migration or
 * evacuation, written by those actions and read by os-migrations and
 * /servers/{id}/migrations.
 */
async function migrationsTable(db: Kysely<any>): Promise<void> {
  await withAutoId(db, db.schema.createTable('migrations'))
    .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
    .addColumn('source_compute', 'varchar(255)')
    .addColumn('dest_compute', 'varchar(255)')
    .addColumn('source_node', 'varchar(255)')
    .addColumn('dest_node', 'varchar(255)')
    .addColumn('dest_host', 'varchar(255)')
    .addColumn('old_instance_type_id', 'integer')
    .addColumn('new_instance_type_id', 'integer')
    .addColumn('status', 'varchar(255)', (c) => c.notNull())
    .addColumn('migration_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('hidden', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('memory_total', 'bigint')
    .addColumn('memory_processed', 'bigint')
    .addColumn('memory_remaining', 'bigint')
    .addColumn('disk_total', 'bigint')
    .addColumn('disk_processed', 'bigint')
    .addColumn('disk_remaining', 'bigint')
    .addColumn('cross_cell_move', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('user_id', 'varchar(255)')
    .addColumn('project_id', 'varchar(255)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)')
    .addColumn('deleted_at', 'varchar(32)')
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('migrations_instance_uuid_idx').on('migrations').column('instance_uuid').execute();
  await db.schema.createIndex('migrations_created_at_idx').on('migrations').column('created_at').execute();
  await db.schema.createIndex('migrations_status_idx').on('migrations').columns(['status', 'dest_compute']).execute();
}

/**
 * Quotas (project, per-user and class overrides of [quota]), server groups and
 * their members, server tags, and system metadata (the server password).
 */
async function resources(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('quotas')
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('resource', 'varchar(255)', (c) => c.notNull())
    .addColumn('hard_limit', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_quotas', ['project_id', 'resource'])
    .execute();

  await db.schema.createTable('project_user_quotas')
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('resource', 'varchar(255)', (c) => c.notNull())
    .addColumn('hard_limit', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_project_user_quotas', ['project_id', 'user_id', 'resource'])
    .execute();

  await db.schema.createTable('quota_classes')
    .addColumn('class_name', 'varchar(255)', (c) => c.notNull())
    .addColumn('resource', 'varchar(255)', (c) => c.notNull())
    .addColumn('hard_limit', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_quota_classes', ['class_name', 'resource'])
    .execute();

  await withAutoId(db, db.schema.createTable('instance_groups'))
    .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('policy', 'varchar(255)', (c) => c.notNull())
    .addColumn('rules', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('instance_groups_project_idx').on('instance_groups').column('project_id').execute();

  await db.schema.createTable('instance_group_member')
    .addColumn('group_id', 'integer', (c) => c.notNull().references('instance_groups.id').onDelete('cascade'))
    .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_instance_group_member', ['group_id', 'instance_uuid'])
    .execute();
  await db.schema.createIndex('instance_group_member_uuid_idx').on('instance_group_member').column('instance_uuid').execute();

  await db.schema.createTable('tags')
    .addColumn('resource_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('tag', 'varchar(80)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_tags', ['resource_id', 'tag'])
    .execute();
  await db.schema.createIndex('tags_tag_idx').on('tags').column('tag').execute();

  await db.schema.createTable('instance_system_metadata')
    .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
    .addColumn('key', 'varchar(255)', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_instance_system_metadata', ['instance_uuid', 'key'])
    .execute();
}

/**
 * Who locked a server (Nova's instances.locked_by: 'owner' or 'admin'), so an
 * owner cannot lift a lock an administrator set.
 */
async function lockedBy(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('instances').addColumn('locked_by', 'varchar(16)').execute();
}

/** The flavor a resize came from (Nova's instance_extra.flavor "old"), kept until it is confirmed or reverted. */
async function instanceOldFlavor(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('instances').addColumn('old_flavor', 'text').execute();
}

/**
 * Host aggregates: a named set of compute hosts with key/value metadata; the
 * `availability_zone` key makes the aggregate an availability zone.
 */
async function aggregates(db: Kysely<any>): Promise<void> {
  await withAutoId(db, db.schema.createTable('aggregates'))
    .addColumn('uuid', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)')
    .execute();

  await db.schema.createTable('aggregate_hosts')
    .addColumn('aggregate_id', 'integer', (c) => c.notNull().references('aggregates.id').onDelete('cascade'))
    .addColumn('host', 'varchar(255)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_aggregate_hosts', ['aggregate_id', 'host'])
    .execute();
  await db.schema.createIndex('aggregate_hosts_host_idx').on('aggregate_hosts').column('host').execute();

  await db.schema.createTable('aggregate_metadata')
    .addColumn('aggregate_id', 'integer', (c) => c.notNull().references('aggregates.id').onDelete('cascade'))
    .addColumn('key', 'varchar(255)', (c) => c.notNull())
    .addColumn('value', 'varchar(255)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_aggregate_metadata', ['aggregate_id', 'key'])
    .execute();
  await db.schema.createIndex('aggregate_metadata_key_idx').on('aggregate_metadata').column('key').execute();
}

/** Nova's instances.auto_disk_config: whether the guest may grow its root partition (OS-DCF:diskConfig AUTO). */
async function instanceAutoDiskConfig(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('instances').addColumn('auto_disk_config', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}

/** Nova's instances.trusted_certs: the certificate ids a server's image must be signed by (2.63), JSON. */
async function instanceTrustedCerts(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('instances').addColumn('trusted_certs', 'text').execute();
}

/**
 * Nova's console_auth_tokens: one row per console URL handed out, found by the
 * token's SHA-256 (the token itself is never stored), saying where the console
 * proxy connects for it and until when (expires: Unix seconds).
 */
async function consoleAuthTokens(db: Kysely<any>): Promise<void> {
  await withAutoId(db, db.schema.createTable('console_auth_tokens'))
    .addColumn('token_hash', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('console_type', 'varchar(255)', (c) => c.notNull())
    .addColumn('host', 'varchar(255)', (c) => c.notNull())
    .addColumn('port', 'integer', (c) => c.notNull())
    .addColumn('internal_access_path', 'varchar(255)')
    .addColumn('access_url_base', 'varchar(255)')
    .addColumn('instance_uuid', 'varchar(36)', (c) => c.notNull())
    .addColumn('expires', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('console_auth_tokens_instance_uuid_idx').on('console_auth_tokens').column('instance_uuid').execute();
  await db.schema.createIndex('console_auth_tokens_expires_idx').on('console_auth_tokens').column('expires').execute();
}

export const computeMigrations: MigrationSet = {
  name: 'compute',
  migrations: {
    '001_initial': { up: initial },
    '002_migrations_table': { up: migrationsTable },
    '003_quotas_groups_tags': { up: resources },
    '004_instance-locked-by': { up: lockedBy },
    '005_instance-old-flavor': { up: instanceOldFlavor },
    '006_aggregates': { up: aggregates },
    '007_instance-auto-disk-config': { up: instanceAutoDiskConfig },
    '008_instance-trusted-certs': { up: instanceTrustedCerts },
    '009_console-auth-tokens': { up: consoleAuthTokens },
  },
};
