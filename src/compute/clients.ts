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
  /** GET /v2/images with these parameters (one page). */
  listImages(query: Record<string, string>, auth: AuthContext): Promise<{ images: ImageInfo[] }>;
  uploadImageData(id: string, data: Readable, auth: AuthContext, opts?: { contentLength?: number }): Promise<void>;
  deleteImage(id: string, auth: AuthContext): Promise<void>;
}

export interface RequestedNetwork {
  networkId?: string;
  portId?: string;
  fixedIp?: string;
}

export interface NetworkClient {
  validateNetworks(auth: AuthContext, requested: RequestedNetwork[]): Promise<void>;
  /** Networks a server with no explicit request gets (Nova's pre-2.37 behaviour). */
  networksForAutoAllocation(auth: AuthContext): Promise<RequestedNetwork[]>;
  allocateForInstance(req: { instanceUuid: string; projectId: string; userId: string; host: string; requested: RequestedNetwork[] }): Promise<VifInfo[]>;
  deallocateForInstance(instanceUuid: string): Promise<void>;
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
