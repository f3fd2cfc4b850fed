/**
 * What the compute side needs from the image, network and placement services.
 * In the all-in-one these are those services' Node APIs; the shapes here are
 * the contract, so compute never imports another service's internals.
 */
import type { Readable } from 'node:stream';
import type { AuthContext } from '../http/auth.js';
import type { VifInfo } from '../virt/driver.js';

export interface ImageInfo {
  id: string;
  name: string | null;
  status: string;
  disk_format: string | null;
  container_format: string | null;
  size: number | null;
  min_disk: number;
  min_ram: number;
  [property: string]: unknown;
}

export interface ImageClient {
  getImage(id: string, auth: AuthContext): Promise<ImageInfo>;
  /** Creates an image record (queued) from Glance's create body. */
  createImage(body: Record<string, unknown>, auth: AuthContext): Promise<ImageInfo>;
  /** One page of Glance v2's image list for these query parameters; nextMarker when there may be more. */
  listImages(query: Record<string, string>, auth: AuthContext): Promise<{ images: ImageInfo[]; nextMarker?: string }>;
  uploadImageData(id: string, data: Readable, auth: AuthContext, opts?: { contentLength?: number }): Promise<void>;
  deleteImage(id: string, auth: AuthContext): Promise<void>;
  /** Replaces the image's extra properties (Nova's image metadata). */
  replaceImageProperties(id: string, properties: Record<string, string>, auth: AuthContext): Promise<ImageInfo>;
}

export interface RequestedNetwork {
  networkId?: string;
  portId?: string;
  fixedIp?: string;
}

/** A security group rule as Neutron shows it. */
export interface SecurityGroupRuleInfo {
  id: string;
  security_group_id: string;
  project_id: string;
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  description: string;
}

/** A security group as Neutron shows it, with its rules. */
export interface SecurityGroupInfo {
  id: string;
  project_id: string;
  name: string;
  description: string;
  security_group_rules: SecurityGroupRuleInfo[];
}

export type SecurityGroupRuleRequest = Omit<SecurityGroupRuleInfo, 'id' | 'project_id' | 'description'>;

/** A port as os-interface shows it. */
export interface InstancePortInfo {
  id: string;
  network_id: string;
  mac_address: string;
  status: string;
  device_id: string;
  fixed_ips: Array<{ subnet_id: string; ip_address: string }>;
}

/** A network as the compute proxies (os-networks, os-tenant-networks) need it. */
export interface NetworkSummary {
  id: string;
  name: string;
  project_id: string;
}

export interface NetworkClient {
  validateNetworks(auth: AuthContext, requested: RequestedNetwork[]): Promise<void>;
  /** Networks a server with no explicit request gets (Nova's pre-2.37 behaviour). */
  networksForAutoAllocation(auth: AuthContext): Promise<RequestedNetwork[]>;
  /** `securityGroups`: names for the ports it makes (absent: the project's default group, as Neutron gives). */
  allocateForInstance(req: { instanceUuid: string; projectId: string; userId: string; host: string; requested: RequestedNetwork[]; securityGroups?: string[] }): Promise<VifInfo[]>;
  deallocateForInstance(instanceUuid: string): Promise<void>;
  /** Binds the instance's ports to the host it now runs on (Nova's migrate_instance_finish). */
  bindInstancePorts(instanceUuid: string, host: string): Promise<void>;
  /** The ports bound to an instance (os-interface). */
  instancePorts(instanceUuid: string): Promise<InstancePortInfo[]>;
  /** A port by id, whoever owns it; undefined when there is none. */
  findPort(portId: string): Promise<InstancePortInfo | undefined>;
  /** Takes one port off an instance: deletes it when compute made it, else releases it. False when not attached. */
  detachPort(instanceUuid: string, portId: string): Promise<boolean>;
  /** The instance's VIFs as the network service has them now, floating IPs included (to refresh its info cache). */
  networkInfoForInstance(instanceUuid: string): Promise<VifInfo[]>;

  /** Networks the caller may see (its own and shared ones; all for admin). */
  listNetworkSummaries(auth: AuthContext): Promise<NetworkSummary[]>;
  /** A network the caller may see; an ApiError 404 otherwise. */
  getNetworkSummary(auth: AuthContext, id: string): Promise<NetworkSummary>;

  // Security groups: each call throws an ApiError (404 not found, 409 conflict) on refusal.
  /** The caller's project's groups (its `default` made on demand), or every project's for admin with allProjects. */
  listSecurityGroups(auth: AuthContext, opts: { allProjects: boolean }): Promise<SecurityGroupInfo[]>;
  getSecurityGroup(auth: AuthContext, id: string): Promise<SecurityGroupInfo>;
  /** By id, or by name in a project (the caller's unless given; 409 when the name is ambiguous). */
  findSecurityGroup(auth: AuthContext, nameOrId: string, projectId?: string): Promise<SecurityGroupInfo>;
  createSecurityGroup(auth: AuthContext, group: { name: string; description: string }): Promise<SecurityGroupInfo>;
  updateSecurityGroup(auth: AuthContext, id: string, changes: { name?: string; description?: string }): Promise<SecurityGroupInfo>;
  deleteSecurityGroup(auth: AuthContext, id: string): Promise<void>;
  getSecurityGroupRule(auth: AuthContext, id: string): Promise<SecurityGroupRuleInfo>;
  createSecurityGroupRule(auth: AuthContext, rule: SecurityGroupRuleRequest): Promise<SecurityGroupRuleInfo>;
  deleteSecurityGroupRule(auth: AuthContext, id: string): Promise<void>;
  /** The ports of an instance and the groups each carries. */
  instancePortSecurityGroups(instanceUuid: string): Promise<Array<{ portId: string; groupIds: string[] }>>;
  setPortSecurityGroups(portId: string, groupIds: readonly string[]): Promise<void>;
  /** Groups by id, whoever owns them (names for an instance's ports). */
  securityGroupsByIds(ids: readonly string[]): Promise<SecurityGroupInfo[]>;
}

export type Resources = Record<string, number>;

export interface AllocationRequest {
  allocations: Record<string, { resources: Resources }>;
}

export interface PlacementClient {
  ensureResourceProvider(rp: { uuid: string; name: string }): Promise<unknown>;
  setInventories(rpUuid: string, inventories: Record<string, { total: number; reserved?: number; min_unit?: number; max_unit?: number; step_size?: number; allocation_ratio?: number }>): Promise<unknown>;
  getAllocationCandidates(req: { resources: Resources; limit?: number }): Promise<{ allocationRequests: AllocationRequest[]; providerSummaries: Record<string, unknown> }>;
  claimResources(req: { consumerUuid: string; allocations: AllocationRequest['allocations']; projectId: string; userId: string; consumerGeneration?: number | null }): Promise<boolean>;
  deleteAllocations(consumerUuid: string): Promise<unknown>;
  /** What a consumer holds, by resource provider. */
  getAllocations(consumerUuid: string): Promise<{ allocations: Record<string, { resources: Resources }> }>;
}
