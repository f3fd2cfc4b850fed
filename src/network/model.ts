/** What the network service's stores accept: requests already type-checked by the caller. */
import type { AuthContext } from '../http/auth.js';
import type { AllocatedIp, AllocationPool, FixedIpRequest } from './ipam.js';
import type { NetworkRow, PortRow, SubnetRow, SubportRow, TrunkRow } from './tables.js';
import type { TrunkDetails } from './trunk-ports.js';
import type { ProviderSegment } from './provider.js';
import type { AddressPair, AddressPairRequest } from './address-pairs.js';

export type { AllocatedIp, AllocationPool, FixedIpRequest } from './ipam.js';

/** Who is looking: admins see everything, anyone else their project's resources and shared ones. */
export interface Scope {
  isAdmin: boolean;
  projectId: string;
}

export function scopeOf(auth: AuthContext): Scope {
  return { isAdmin: auth.roles.includes('admin'), projectId: auth.projectId };
}

export const ADMIN_SCOPE: Scope = { isAdmin: true, projectId: '' };

export interface NetworkCreate {
  project_id: string;
  name: string;
  description: string;
  admin_state_up: boolean;
  shared: boolean;
  mtu?: number;
  port_security_enabled: boolean;
  router_external: boolean;
  /** undefined: a local network. */
  provider?: ProviderSegment;
}

export type NetworkUpdate = Partial<Omit<NetworkCreate, 'project_id' | 'provider'>>;

export interface HostRoute { destination: string; nexthop: string }

export interface SubnetCreate {
  project_id: string;
  network_id: string;
  name: string;
  description: string;
  ip_version: number;
  /** undefined: allocated from the subnet pool (subnetpool_id, prefixlen). */
  cidr?: string;
  subnetpool_id?: string;
  prefixlen?: number;
  /** undefined: the first host address; null: no gateway. */
  gateway_ip?: string | null;
  /** undefined: the whole cidr but the gateway. */
  allocation_pools?: AllocationPool[];
  enable_dhcp: boolean;
  dns_nameservers: string[];
  host_routes: HostRoute[];
}

export type SubnetUpdate = Partial<Pick<SubnetCreate,
  'name' | 'description' | 'gateway_ip' | 'allocation_pools' | 'enable_dhcp' | 'dns_nameservers' | 'host_routes'>>;

export interface PortCreate {
  project_id: string;
  network_id: string;
  name: string;
  description: string;
  admin_state_up: boolean;
  /** undefined: a generated fa:16:3e MAC. */
  mac_address?: string;
  /** undefined: one address from the first subnet with room; []: no address. */
  fixed_ips?: FixedIpRequest[];
  device_id: string;
  device_owner: string;
  binding_host_id: string;
  binding_vnic_type: string;
  binding_profile: Record<string, unknown>;
  port_security_enabled: boolean;
  /** undefined: none; a pair without a MAC takes the port's. */
  allowed_address_pairs?: AddressPairRequest[];
  /** Set by the compute Node API: the port goes away with its instance. */
  created_by_compute?: boolean;
}

export type PortUpdate = Partial<Omit<PortCreate, 'project_id' | 'network_id' | 'created_by_compute'>>;

export interface NetworkRecord { network: NetworkRow; subnetIds: string[]; tags: string[] }
export interface SubnetRecord { subnet: SubnetRow; tags: string[] }
/** trunkDetails: set on a trunk's parent port. */
export interface PortRecord {
  port: PortRow; fixedIps: AllocatedIp[]; tags: string[]; trunkDetails?: TrunkDetails; securityGroups?: string[]; allowedAddressPairs?: AddressPair[];
}

/** A subport as the request gave it: its segmentation is checked by the trunk rules, in Neutron's order. */
export interface SubportRequest { port_id: string; segmentation_type?: unknown; segmentation_id?: unknown }

export interface TrunkCreate {
  project_id: string;
  name: string;
  description: string;
  admin_state_up: boolean;
  port_id: string;
  sub_ports: SubportRequest[];
}

export type TrunkUpdate = Partial<Pick<TrunkCreate, 'name' | 'description' | 'admin_state_up'>>;

export interface TrunkRecord { trunk: TrunkRow; subports: SubportRow[]; tags: string[] }
