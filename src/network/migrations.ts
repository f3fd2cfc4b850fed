import type { Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import type { MigrationSet } from '../db/migrate.js';

async function initial(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('neutron_networks')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('admin_state_up', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('shared', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('mtu', 'integer', (c) => c.notNull())
    .addColumn('port_security_enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('router_external', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_neutron_networks_project_id').on('neutron_networks').column('project_id').execute();

  await db.schema.createTable('neutron_subnets')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('neutron_networks.id'))
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('ip_version', 'integer', (c) => c.notNull())
    .addColumn('cidr', 'varchar(64)', (c) => c.notNull())
    .addColumn('gateway_ip', 'varchar(64)')
    .addColumn('enable_dhcp', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('allocation_pools', 'text', (c) => c.notNull())
    .addColumn('dns_nameservers', 'text', (c) => c.notNull())
    .addColumn('host_routes', 'text', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_neutron_subnets_network_id').on('neutron_subnets').column('network_id').execute();

  await db.schema.createTable('neutron_ports')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('neutron_networks.id'))
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('mac_address', 'varchar(32)', (c) => c.notNull())
    .addColumn('admin_state_up', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('device_id', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('device_owner', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('binding_host_id', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('binding_vnic_type', 'varchar(64)', (c) => c.notNull().defaultTo('normal'))
    .addColumn('binding_profile', 'text', (c) => c.notNull())
    .addColumn('port_security_enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_by_compute', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addUniqueConstraint('uniq_neutron_ports_mac_address', ['mac_address'])
    .execute();
  await db.schema.createIndex('ix_neutron_ports_network_id').on('neutron_ports').column('network_id').execute();
  await db.schema.createIndex('ix_neutron_ports_device_id').on('neutron_ports').column('device_id').execute();
  await db.schema.createIndex('ix_neutron_ports_project_id').on('neutron_ports').column('project_id').execute();

  // The primary key is what keeps two ports from ever holding one address:
  // concurrent allocators race on it and the loser retries.
  await db.schema.createTable('neutron_ip_allocations')
    .addColumn('subnet_id', 'varchar(36)', (c) => c.notNull().references('neutron_subnets.id'))
    .addColumn('ip_address', 'varchar(64)', (c) => c.notNull())
    .addColumn('ip_int', 'bigint', (c) => c.notNull())
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('neutron_ports.id').onDelete('cascade'))
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_neutron_ip_allocations', ['subnet_id', 'ip_address'])
    .execute();
  await db.schema.createIndex('uniq_neutron_ip_allocations_subnet_int').unique()
    .on('neutron_ip_allocations').columns(['subnet_id', 'ip_int']).execute();
  await db.schema.createIndex('ix_neutron_ip_allocations_port_id').on('neutron_ip_allocations').column('port_id').execute();

  await db.schema.createTable('neutron_tags')
    .addColumn('resource_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('tag', 'varchar(255)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_neutron_tags', ['resource_id', 'tag'])
    .execute();
}

/**
 * Security groups, Neutron-shaped: groups, their rules, which ports carry
 * which groups, and each project's `default` group (one row per project, so
 * two requests creating it at once make one).
 */
async function securityGroups(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('neutron_security_groups')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('stateful', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_neutron_security_groups_project_id').on('neutron_security_groups').column('project_id').execute();

  await db.schema.createTable('neutron_default_security_groups')
    .addColumn('project_id', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('security_group_id', 'varchar(36)', (c) => c.notNull().references('neutron_security_groups.id').onDelete('cascade'))
    .execute();

  await db.schema.createTable('neutron_security_group_rules')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('security_group_id', 'varchar(36)', (c) => c.notNull().references('neutron_security_groups.id').onDelete('cascade'))
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('direction', 'varchar(16)', (c) => c.notNull())
    .addColumn('ethertype', 'varchar(16)', (c) => c.notNull())
    .addColumn('protocol', 'varchar(40)')
    .addColumn('port_range_min', 'integer')
    .addColumn('port_range_max', 'integer')
    .addColumn('remote_ip_prefix', 'varchar(255)')
    .addColumn('remote_group_id', 'varchar(36)', (c) => c.references('neutron_security_groups.id').onDelete('cascade'))
    .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_neutron_security_group_rules_group').on('neutron_security_group_rules').column('security_group_id').execute();

  await db.schema.createTable('neutron_security_group_port_bindings')
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('neutron_ports.id').onDelete('cascade'))
    .addColumn('security_group_id', 'varchar(36)', (c) => c.notNull().references('neutron_security_groups.id'))
    .addPrimaryKeyConstraint('pk_neutron_security_group_port_bindings', ['port_id', 'security_group_id'])
    .execute();
  await db.schema.createIndex('ix_neutron_sg_port_bindings_group').on('neutron_security_group_port_bindings').column('security_group_id').execute();
}

/**
 * Trunks and their subports. The unique parent port and the subport's port as
 * primary key keep a port in one trunk at most even when two requests race;
 * both reference the port, so a port in a trunk cannot disappear under it.
 */
async function trunks(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('neutron_trunks')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('neutron_ports.id'))
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('admin_state_up', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addUniqueConstraint('uniq_neutron_trunks_port_id', ['port_id'])
    .execute();
  await db.schema.createIndex('ix_neutron_trunks_project_id').on('neutron_trunks').column('project_id').execute();

  await db.schema.createTable('neutron_subports')
    .addColumn('port_id', 'varchar(36)', (c) => c.primaryKey().references('neutron_ports.id'))
    .addColumn('trunk_id', 'varchar(36)', (c) => c.notNull().references('neutron_trunks.id').onDelete('cascade'))
    .addColumn('segmentation_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('segmentation_id', 'integer', (c) => c.notNull())
    .addUniqueConstraint('uniq_neutron_subports_segmentation', ['trunk_id', 'segmentation_type', 'segmentation_id'])
    .execute();
}

/**
 * Routers and floating IPs (Neutron's L3), and networks' provider segment.
 * A router's interfaces and gateway are ports whose device_id is the router;
 * a floating IP's address is held by a port of its own on the external
 * network, so IPAM's primary key keeps two of them from sharing an address.
 */
async function l3(db: Kysely<any>): Promise<void> {
  // Networks made before segments existed are what a network without provider attributes is: local.
  await db.schema.alterTable('neutron_networks')
    .addColumn('provider_network_type', 'varchar(32)', (c) => c.notNull().defaultTo('local')).execute();
  await db.schema.alterTable('neutron_networks').addColumn('provider_physical_network', 'varchar(64)').execute();
  await db.schema.alterTable('neutron_networks').addColumn('provider_segmentation_id', 'integer').execute();

  // One flat network per physical network, even when two requests race (Neutron's FlatNetworkInUse).
  await db.schema.createTable('neutron_flat_allocations')
    .addColumn('physical_network', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('neutron_networks.id').onDelete('cascade'))
    .execute();

  await db.schema.createTable('neutron_routers')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('admin_state_up', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('gw_port_id', 'varchar(36)', (c) => c.references('neutron_ports.id'))
    .addColumn('enable_snat', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_neutron_routers_project_id').on('neutron_routers').column('project_id').execute();

  await db.schema.createTable('neutron_floatingips')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('floating_network_id', 'varchar(36)', (c) => c.notNull().references('neutron_networks.id'))
    .addColumn('floating_port_id', 'varchar(36)', (c) => c.notNull().references('neutron_ports.id'))
    .addColumn('floating_ip_address', 'varchar(64)', (c) => c.notNull())
    .addColumn('fixed_port_id', 'varchar(36)', (c) => c.references('neutron_ports.id').onDelete('set null'))
    .addColumn('fixed_ip_address', 'varchar(64)')
    .addColumn('router_id', 'varchar(36)', (c) => c.references('neutron_routers.id'))
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    // A fixed address has one floating IP per external network at most, even when two associations race.
    .addUniqueConstraint('uniq_neutron_floatingips_fixed', ['floating_network_id', 'fixed_port_id', 'fixed_ip_address'])
    .execute();
  await db.schema.createIndex('ix_neutron_floatingips_project_id').on('neutron_floatingips').column('project_id').execute();
  await db.schema.createIndex('ix_neutron_floatingips_fixed_port_id').on('neutron_floatingips').column('fixed_port_id').execute();
}

/** Address scopes and subnet pools; a subnet remembers the pool its cidr came from. */
async function subnetPools(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('neutron_address_scopes')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('shared', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('ip_version', 'integer', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createTable('neutron_subnetpools')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('ip_version', 'integer', (c) => c.notNull())
    .addColumn('default_prefixlen', 'integer', (c) => c.notNull())
    .addColumn('min_prefixlen', 'integer', (c) => c.notNull())
    .addColumn('max_prefixlen', 'integer', (c) => c.notNull())
    .addColumn('shared', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('address_scope_id', 'varchar(36)', (c) => c.references('neutron_address_scopes.id'))
    // JSON: ["10.0.0.0/16", ...]
    .addColumn('prefixes', 'text', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.alterTable('neutron_subnets').addColumn('subnetpool_id', 'varchar(36)', (c) => c.references('neutron_subnetpools.id')).execute();
}

/**
 * RBAC policies. Networks already shared or external get the '*' grant that
 * Neutron keeps for them, so visibility has one rule for old and new rows.
 */
async function rbacPolicies(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('neutron_rbac_policies')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('object_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('object_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('action', 'varchar(32)', (c) => c.notNull())
    .addColumn('target_project', 'varchar(255)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addUniqueConstraint('uniq_neutron_rbac_policies', ['object_type', 'object_id', 'action', 'target_project'])
    .execute();
  await db.schema.createIndex('ix_neutron_rbac_policies_target').on('neutron_rbac_policies').columns(['target_project', 'action']).execute();
  const now = new Date().toISOString();
  const networks = await db.selectFrom('neutron_networks').select(['id', 'project_id', 'shared', 'router_external'])
    .where((eb) => eb.or([eb('shared', '=', 1), eb('router_external', '=', 1)])).execute();
  const grants = networks.flatMap((n: { id: string; project_id: string; shared: number; router_external: number }) => [
    ...(n.shared === 1 ? ['access_as_shared'] : []), ...(n.router_external === 1 ? ['access_as_external'] : []),
  ].map((action) => ({
    id: randomUUID(), project_id: n.project_id, object_type: 'network', object_id: n.id, action, target_project: '*', created_at: now,
  })));
  if (grants.length > 0) await db.insertInto('neutron_rbac_policies').values(grants).execute();
}

/** The agents that report their state (Neutron's agents table): one row per agent type and host. */
async function agents(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('neutron_agents')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('agent_type', 'varchar(255)', (c) => c.notNull())
    .addColumn('binary', 'varchar(255)', (c) => c.notNull())
    .addColumn('topic', 'varchar(255)', (c) => c.notNull())
    .addColumn('host', 'varchar(255)', (c) => c.notNull())
    .addColumn('availability_zone', 'varchar(255)')
    .addColumn('admin_state_up', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    // JSON object: what the agent says about itself (bridge mappings, devices, networks, ...)
    .addColumn('configurations', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('started_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('heartbeat_timestamp', 'varchar(32)', (c) => c.notNull())
    .addUniqueConstraint('uniq_neutron_agents_agent_type_host', ['agent_type', 'host'])
    .execute();
}

/**
 * Allowed address pairs: what else a port may send from. The key is Neutron's
 * (port, MAC, address), so one pair twice on a port cannot be stored; the
 * position keeps the order the request gave, which is the order shown.
 */
async function allowedAddressPairs(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('neutron_allowed_address_pairs')
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('neutron_ports.id').onDelete('cascade'))
    .addColumn('mac_address', 'varchar(32)', (c) => c.notNull())
    .addColumn('ip_address', 'varchar(64)', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_neutron_allowed_address_pairs', ['port_id', 'mac_address', 'ip_address'])
    .execute();
}

export const networkMigrations: MigrationSet = {
  name: 'network',
  migrations: {
    '001_initial': { up: initial },
    '002_security_groups': { up: securityGroups },
    '003_trunks': { up: trunks },
    '004_l3': { up: l3 },
    '005_subnet_pools': { up: subnetPools },
    '006_rbac_policies': { up: rbacPolicies },
    '007_agents': { up: agents },
    '008_allowed_address_pairs': { up: allowedAddressPairs },
  },
};
