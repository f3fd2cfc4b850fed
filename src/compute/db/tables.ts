/**
 * Rows of the compute service's tables (Nova's API and cell databases, kept in
 * one). Timestamps are ISO-8601 text, booleans 0/1, structured values JSON text.
 */
import type { Generated, Kysely } from 'kysely';

export interface ServicesTable {
  id: Generated<number>;
  uuid: string;
  host: string;
  binary: string;
  topic: string;
  report_count: number;
  disabled: number;
  disabled_reason: string | null;
  forced_down: number;
  last_seen_up: string | null;
  version: number;
  created_at: string;
  updated_at: string | null;
  deleted: number;
}

export interface ComputeNodesTable {
  id: Generated<number>;
  uuid: string;
  host: string;
  hypervisor_hostname: string;
  hypervisor_type: string;
  hypervisor_version: number;
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  vcpus_used: number;
  memory_mb_used: number;
  local_gb_used: number;
  running_vms: number;
  cpu_info: string;
  host_ip: string;
  disk_available_least: number | null;
  cpu_allocation_ratio: number;
  ram_allocation_ratio: number;
  disk_allocation_ratio: number;
  created_at: string;
  updated_at: string | null;
  deleted: number;
}

export interface FlavorsTable {
  id: Generated<number>;
  flavorid: string;
  name: string;
  memory_mb: number;
  vcpus: number;
  root_gb: number;
  ephemeral_gb: number;
  swap: number;
  rxtx_factor: number;
  is_public: number;
  disabled: number;
  description: string | null;
  created_at: string;
  updated_at: string | null;
}

export interface FlavorExtraSpecsTable {
  flavor_id: number;
  key: string;
  value: string;
}

export interface FlavorProjectsTable {
  flavor_id: number;
  project_id: string;
}

export interface KeyPairsTable {
  id: Generated<number>;
  name: string;
  user_id: string;
  fingerprint: string;
  public_key: string;
  type: string;
  created_at: string;
}

export interface InstancesTable {
  id: Generated<number>;
  uuid: string;
  project_id: string;
  user_id: string;
  display_name: string;
  display_description: string | null;
  hostname: string;
  host: string | null;
  node: string | null;
  launched_on: string | null;
  availability_zone: string | null;
  vm_state: string;
  task_state: string | null;
  power_state: number;
  image_ref: string;
  /** The Flavor object (primitive JSON) as it was when the server was built. */
  flavor: string;
  vcpus: number;
  memory_mb: number;
  root_gb: number;
  ephemeral_gb: number;
  key_name: string | null;
  key_data: string | null;
  user_data: string | null;
  config_drive: string;
  access_ip_v4: string | null;
  access_ip_v6: string | null;
  locked: number;
  locked_reason: string | null;
  /** 'owner' or 'admin' while locked (Nova's locked_by). */
  locked_by: string | null;
  /** The Flavor (JSON) a resize came from, until it is confirmed or reverted. */
  old_flavor: string | null;
  /** JSON list of trusted image certificate ids (2.63), or null. */
  trusted_certs: string | null;
  /** 1 when OS-DCF:diskConfig is AUTO. */
  auto_disk_config: Generated<number>;
  launch_index: number;
  reservation_id: string;
  root_device_name: string | null;
  progress: number;
  /** Nova's instance_info_caches.network_info: the VIFs, JSON. */
  network_info: string;
  /** Security group names requested at create, JSON array. */
  security_groups: string;
  created_at: string;
  updated_at: string | null;
  launched_at: string | null;
  terminated_at: string | null;
  deleted_at: string | null;
  /** 0 while alive; the row id once soft-deleted (Nova's convention). */
  deleted: number;
  /** Bumped by every change to the server, its metadata or its faults: rendered views are cached by it. */
  version: Generated<number>;
}

export interface InstanceMetadataTable {
  instance_uuid: string;
  key: string;
  value: string;
}

export interface InstanceFaultsTable {
  id: Generated<number>;
  instance_uuid: string;
  code: number;
  message: string;
  details: string;
  host: string | null;
  created_at: string;
}

export interface InstanceActionsTable {
  id: Generated<number>;
  action: string;
  instance_uuid: string;
  request_id: string;
  user_id: string;
  project_id: string;
  start_time: string;
  finish_time: string | null;
  message: string | null;
  updated_at: string | null;
}

export interface InstanceActionEventsTable {
  id: Generated<number>;
  action_id: number;
  event: string;
  start_time: string;
  finish_time: string | null;
  result: string | null;
  traceback: string | null;
  host: string | null;
  details: string | null;
}

export interface RequestSpecsTable {
  instance_uuid: string;
  spec: string;
}

export interface BlockDeviceMappingTable {
  id: Generated<number>;
  uuid: string;
  instance_uuid: string;
  device_name: string | null;
  source_type: string;
  destination_type: string;
  boot_index: number | null;
  image_id: string | null;
  volume_id: string | null;
  volume_size: number | null;
  delete_on_termination: number;
  guest_format: string | null;
  disk_bus: string | null;
  device_type: string | null;
  created_at: string;
  deleted: number;
}

/** A resize, migration or evacuation of an instance (Nova's migrations table). */
export interface MigrationsTable {
  id: Generated<number>;
  uuid: string;
  instance_uuid: string;
  source_compute: string | null;
  dest_compute: string | null;
  source_node: string | null;
  dest_node: string | null;
  dest_host: string | null;
  old_instance_type_id: number | null;
  new_instance_type_id: number | null;
  status: string;
  /** 'migration' | 'resize' | 'live-migration' | 'evacuation' */
  migration_type: string;
  hidden: number;
  memory_total: number | null;
  memory_processed: number | null;
  memory_remaining: number | null;
  disk_total: number | null;
  disk_processed: number | null;
  disk_remaining: number | null;
  cross_cell_move: number;
  user_id: string | null;
  project_id: string | null;
  created_at: string;
  updated_at: string | null;
  deleted_at: string | null;
  deleted: number;
}

export interface QuotasTable {
  project_id: string;
  resource: string;
  hard_limit: number;
}

export interface ProjectUserQuotasTable {
  project_id: string;
  user_id: string;
  resource: string;
  hard_limit: number;
}

export interface QuotaClassesTable {
  class_name: string;
  resource: string;
  hard_limit: number;
}

export interface InstanceGroupsTable {
  id: Generated<number>;
  uuid: string;
  name: string;
  project_id: string;
  user_id: string;
  /** affinity, anti-affinity, soft-affinity or soft-anti-affinity. */
  policy: string;
  /** The policy's rules, JSON (max_server_per_host). */
  rules: string;
  created_at: string;
}

export interface InstanceGroupMemberTable {
  group_id: number;
  instance_uuid: string;
}

export interface TagsTable {
  resource_id: string;
  tag: string;
}

export interface InstanceSystemMetadataTable {
  instance_uuid: string;
  key: string;
  value: string;
}

/** Host aggregates (Nova's API database aggregates, aggregate_hosts, aggregate_metadata). */
export interface AggregatesTable {
  id: Generated<number>;
  uuid: string;
  name: string;
  created_at: string;
  updated_at: string | null;
}

export interface AggregateHostsTable {
  aggregate_id: number;
  host: string;
}

export interface AggregateMetadataTable {
  aggregate_id: number;
  key: string;
  value: string;
}

/** Nova's console_auth_tokens: what a console token lets its holder reach, kept by the token's hash. */
export interface ConsoleAuthTokensTable {
  id: Generated<number>;
  token_hash: string;
  console_type: string;
  host: string;
  port: number;
  internal_access_path: string | null;
  access_url_base: string | null;
  instance_uuid: string;
  /** Unix seconds */
  expires: number;
  created_at: string;
}

export interface ComputeTables {
  services: ServicesTable;
  compute_nodes: ComputeNodesTable;
  flavors: FlavorsTable;
  flavor_extra_specs: FlavorExtraSpecsTable;
  flavor_projects: FlavorProjectsTable;
  key_pairs: KeyPairsTable;
  instances: InstancesTable;
  instance_metadata: InstanceMetadataTable;
  instance_faults: InstanceFaultsTable;
  instance_actions: InstanceActionsTable;
  instance_actions_events: InstanceActionEventsTable;
  request_specs: RequestSpecsTable;
  block_device_mapping: BlockDeviceMappingTable;
  migrations: MigrationsTable;
  quotas: QuotasTable;
  project_user_quotas: ProjectUserQuotasTable;
  quota_classes: QuotaClassesTable;
  instance_groups: InstanceGroupsTable;
  instance_group_member: InstanceGroupMemberTable;
  tags: TagsTable;
  instance_system_metadata: InstanceSystemMetadataTable;
  aggregates: AggregatesTable;
  aggregate_hosts: AggregateHostsTable;
  aggregate_metadata: AggregateMetadataTable;
  console_auth_tokens: ConsoleAuthTokensTable;
}

export type ComputeDb = Kysely<ComputeTables>;
