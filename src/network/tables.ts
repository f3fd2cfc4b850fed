import type { Kysely } from 'kysely';

/**
 * The network service's tables. Booleans are 0/1 integers, JSON is text,
 * timestamps are ISO-8601 text (see src/db/schema-helpers.ts).
 */
export interface NetworkRow {
  id: string;
  project_id: string;
  name: string;
  description: string;
  status: string;
  admin_state_up: number;
  shared: number;
  mtu: number;
  port_security_enabled: number;
  router_external: number;
  /** 'local' or 'flat' (Neutron's provider:network_type). */
  provider_network_type: string;
  provider_physical_network: string | null;
  provider_segmentation_id: number | null;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export interface SubnetRow {
  id: string;
  network_id: string;
  project_id: string;
  name: string;
  description: string;
  ip_version: number;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: number;
  /** JSON: [{start, end}] */
  allocation_pools: string;
  /** JSON: ["8.8.8.8", ...] */
  dns_nameservers: string;
  /** JSON: [{destination, nexthop}] */
  host_routes: string;
  /** The subnet pool the cidr was allocated from, if any. */
  subnetpool_id: string | null;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export interface PortRow {
  id: string;
  network_id: string;
  project_id: string;
  name: string;
  description: string;
  mac_address: string;
  admin_state_up: number;
  status: string;
  device_id: string;
  device_owner: string;
  binding_host_id: string;
  binding_vnic_type: string;
  /** JSON object */
  binding_profile: string;
  port_security_enabled: number;
  /** 1 when the compute service created the port for an instance (it deletes it again); 0 when a user did. */
  created_by_compute: number;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export interface IpAllocationRow {
  port_id: string;
  subnet_id: string;
  network_id: string;
  ip_address: string;
  /** The address as an integer, for range arithmetic in SQL. */
  ip_int: number;
}

/** A (MAC, IP or CIDR) pair a port may send from besides its own addresses. */
export interface AllowedAddressPairRow {
  port_id: string;
  mac_address: string;
  ip_address: string;
  /** the pair's place in the list the request gave */
  position: number;
}

export interface TagRow {
  resource_id: string;
  tag: string;
}

export interface SecurityGroupRow {
  id: string;
  project_id: string;
  name: string;
  description: string;
  stateful: number;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export interface DefaultSecurityGroupRow {
  project_id: string;
  security_group_id: string;
}

export interface SecurityGroupRuleRow {
  id: string;
  security_group_id: string;
  project_id: string;
  /** 'ingress' | 'egress' */
  direction: string;
  /** 'IPv4' | 'IPv6' */
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  description: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export interface SecurityGroupPortBindingRow {
  port_id: string;
  security_group_id: string;
}

/** A trunk: a parent port carrying the VLANs of its subports (Neutron's trunk extension). */
export interface TrunkRow {
  id: string;
  project_id: string;
  name: string;
  description: string;
  /** The parent port; one trunk per port. */
  port_id: string;
  /** DOWN until the parent port is bound to a host, then ACTIVE. */
  status: string;
  admin_state_up: number;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

/** A port carried by a trunk; a port is the subport of one trunk at most. */
export interface SubportRow {
  port_id: string;
  trunk_id: string;
  segmentation_type: string;
  segmentation_id: number;
}

export interface FlatAllocationRow {
  physical_network: string;
  network_id: string;
}

/** A router; its interfaces are the ports whose device_id is the router and device_owner network:router_interface. */
export interface RouterRow {
  id: string;
  project_id: string;
  name: string;
  description: string;
  status: string;
  admin_state_up: number;
  /** The network:router_gateway port on the external network, when the router has a gateway. */
  gw_port_id: string | null;
  enable_snat: number;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export interface FloatingIpRow {
  id: string;
  project_id: string;
  description: string;
  floating_network_id: string;
  /** The network:floatingip port that holds the address on the external network. */
  floating_port_id: string;
  floating_ip_address: string;
  fixed_port_id: string | null;
  fixed_ip_address: string | null;
  /** The router that NATs between the two, while associated. */
  router_id: string | null;
  /** ACTIVE while associated, DOWN otherwise. */
  status: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export interface AddressScopeRow {
  id: string;
  project_id: string;
  name: string;
  shared: number;
  ip_version: number;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export interface SubnetPoolRow {
  id: string;
  project_id: string;
  name: string;
  description: string;
  ip_version: number;
  default_prefixlen: number;
  min_prefixlen: number;
  max_prefixlen: number;
  shared: number;
  is_default: number;
  address_scope_id: string | null;
  /** JSON: the pool's cidrs. */
  prefixes: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

/** A grant of access to an object (Neutron's RBAC): a network shared with, or offered as external to, a project or '*'. */
export interface RbacPolicyRow {
  id: string;
  /** the project that made the grant */
  project_id: string;
  object_type: string;
  object_id: string;
  /** 'access_as_shared' | 'access_as_external' */
  action: string;
  /** a project id, or '*' for every project */
  target_project: string;
  created_at: string;
}

/** A network agent (Neutron's agents table); alive while heartbeat_timestamp is recent. */
export interface AgentRow {
  id: string;
  agent_type: string;
  binary: string;
  topic: string;
  host: string;
  availability_zone: string | null;
  admin_state_up: number;
  description: string;
  /** JSON object */
  configurations: string;
  created_at: string;
  started_at: string;
  heartbeat_timestamp: string;
}

export interface NetworkTables {
  neutron_networks: NetworkRow;
  neutron_subnets: SubnetRow;
  neutron_ports: PortRow;
  neutron_ip_allocations: IpAllocationRow;
  neutron_tags: TagRow;
  neutron_allowed_address_pairs: AllowedAddressPairRow;
  neutron_security_groups: SecurityGroupRow;
  neutron_default_security_groups: DefaultSecurityGroupRow;
  neutron_security_group_rules: SecurityGroupRuleRow;
  neutron_security_group_port_bindings: SecurityGroupPortBindingRow;
  neutron_trunks: TrunkRow;
  neutron_subports: SubportRow;
  neutron_flat_allocations: FlatAllocationRow;
  neutron_routers: RouterRow;
  neutron_floatingips: FloatingIpRow;
  neutron_address_scopes: AddressScopeRow;
  neutron_subnetpools: SubnetPoolRow;
  neutron_rbac_policies: RbacPolicyRow;
  neutron_agents: AgentRow;
}

export type NetworkDb = Kysely<NetworkTables>;
