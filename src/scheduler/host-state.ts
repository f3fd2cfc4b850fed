/**
 * A candidate host as the filters and weighers see it: the compute node
 * (whose uuid is its resource provider in placement), its service, its zone
 * and what placement says is free.
 */
import type { AllocationRequest } from '../compute/clients.js';

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
  allocationRequest: AllocationRequest;
}

/** Free amount of a resource class in a placement provider summary (capacity − used). */
export function freeFromSummary(summary: unknown, rc: string): number {
  const r = (summary as { resources?: Record<string, { capacity?: number; used?: number }> })?.resources?.[rc];
  if (!r || typeof r.capacity !== 'number') return 0;
  return r.capacity - (r.used ?? 0);
}
