/**
 * A candidate host as the filters and weighers see it: the compute node
 * (whose uuid is its resource provider in placement), its service, its zone
 * and what placement says is free.
 */
import type { Config } from '../conf/options.js';
import type { ComputeDb } from '../compute/db/tables.js';
import type { AllocationRequest, Resources } from '../compute/clients.js';

export interface HostState {
  nodeUuid: string;
  host: string;
  nodename: string;
  availabilityZone: string;
  serviceDisabled: boolean;
  serviceUp: boolean;
  freeRamMb: number;
  freeVcpus: number;
  freeDiskGb: number;
  /** What the request asks of this node's provider: a candidate is always the one provider. */
  resources: Resources;
}

/** What a host has free of the classes the weighers and filters read. */
export interface FreeResources {
  ramMb: number;
  vcpus: number;
  diskGb: number;
}

/** The allocation request that claims the host (placement's shape, for the claim and the selection). */
export function allocationRequestOf(h: Pick<HostState, 'nodeUuid' | 'resources'>): AllocationRequest {
  return { allocations: { [h.nodeUuid]: { resources: h.resources } } };
}

/** Free amount of a resource class in a placement provider summary (capacity − used). */
function freeInSummary(summary: unknown, rc: string): number {
  const r = (summary as { resources?: Record<string, { capacity?: number; used?: number }> })?.resources?.[rc];
  if (!r || typeof r.capacity !== 'number') return 0;
  return r.capacity - (r.used ?? 0);
}

/** What a placement provider summary says is free (0 of a class it does not summarize). */
export function freeFromSummary(summary: unknown): FreeResources {
  return { ramMb: freeInSummary(summary, 'MEMORY_MB'), vcpus: freeInSummary(summary, 'VCPU'), diskGb: freeInSummary(summary, 'DISK_GB') };
}

/** A live compute node with its live nova-compute service. */
export interface ComputeNodeRow {
  uuid: string;
  host: string;
  hypervisor_hostname: string;
  disabled: number;
  forced_down: number;
  last_seen_up: string | null;
}

/** The live compute nodes (only those of `uuids` when given) with their services' state. */
export function readComputeNodes(db: ComputeDb, uuids?: readonly string[]): Promise<ComputeNodeRow[]> {
  let q = db.selectFrom('compute_nodes')
    .innerJoin('services', (j) => j.onRef('services.host', '=', 'compute_nodes.host').on('services.binary', '=', 'nova-compute').on('services.deleted', '=', 0))
    .select(['compute_nodes.uuid', 'compute_nodes.host', 'compute_nodes.hypervisor_hostname', 'services.disabled', 'services.forced_down', 'services.last_seen_up'])
    .where('compute_nodes.deleted', '=', 0);
  if (uuids) q = q.where('compute_nodes.uuid', 'in', [...uuids]);
  return q.execute();
}

/** When the node's service was last seen up, in ms since the epoch (null: never). */
export function lastSeenMs(node: Pick<ComputeNodeRow, 'last_seen_up'>): number | null {
  return node.last_seen_up ? Date.parse(node.last_seen_up) : null;
}

/**
 * The host state of a node that placement offers for `resources`, with
 * `free` as placement counts it; `seenMs` is lastSeenMs(node), which a caller
 * that keeps the node works out once.
 */
export function toHostState(conf: Config, node: ComputeNodeRow, seenMs: number | null, zone: string | undefined, free: FreeResources, resources: Resources, now = Date.now()): HostState {
  const downAfterMs = conf.DEFAULT.service_down_time * 1000;
  return {
    nodeUuid: node.uuid, host: node.host, nodename: node.hypervisor_hostname,
    availabilityZone: zone ?? conf.DEFAULT.default_availability_zone,
    serviceDisabled: node.disabled === 1,
    serviceUp: node.forced_down === 0 && seenMs !== null && now - seenMs <= downAfterMs,
    freeRamMb: free.ramMb,
    freeVcpus: free.vcpus,
    freeDiskGb: free.diskGb,
    resources,
  };
}
