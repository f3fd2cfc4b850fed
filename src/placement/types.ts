/** The shapes the placement Node API takes and returns. */

export interface ResourceProvider {
  uuid: string;
  name: string;
  generation: number;
  parentProviderUuid: string | null;
  rootProviderUuid: string;
}

/** One resource class's inventory as a caller gives it; omitted fields take placement's defaults. */
export interface InventoryInput {
  total: number;
  reserved?: number;
  min_unit?: number;
  max_unit?: number;
  step_size?: number;
  allocation_ratio?: number;
}

export type Inventory = Required<InventoryInput>;

export interface ProviderInventories {
  generation: number;
  inventories: Record<string, Inventory>;
}

export interface AllocationRequest {
  allocations: Record<string, { resources: Record<string, number> }>;
}

export interface ProviderSummary {
  resources: Record<string, { capacity: number; used: number }>;
  traits: string[];
  parentProviderUuid: string | null;
  rootProviderUuid: string;
}

export interface AllocationCandidatesQuery {
  resources: Record<string, number>;
  limit?: number;
  /** Trait names; a leading '!' forbids the trait. */
  required?: string[];
  /** Each inner list: the provider is in at least one of these aggregates; '!' entries: in none of them. */
  memberOf?: string[][];
  /** Traits the candidate's root provider must have ('!' must lack). */
  rootRequired?: string[];
  /** Only providers in the tree of this provider. */
  inTree?: string;
  /** Summaries list every inventoried class, not only the requested ones (microversion 1.27). */
  summarizeAllClasses?: boolean;
}

export interface AllocationCandidates {
  allocationRequests: AllocationRequest[];
  providerSummaries: Record<string, ProviderSummary>;
}

/** What one consumer should hold after a write; empty allocations remove it. */
export interface ConsumerWrite {
  consumerUuid: string;
  allocations: AllocationRequest['allocations'];
  projectId: string;
  userId: string;
  /** undefined: not checked (before microversion 1.28); null: the consumer must be new. */
  consumerGeneration?: number | null;
  consumerType?: string | null;
}

export type WriteFailure =
  | { reason: 'provider_not_found'; detail: string }
  | { reason: 'capacity'; detail: string }
  | { reason: 'constraint'; detail: string };

export interface ConsumerAllocations {
  allocations: Record<string, { generation: number; resources: Record<string, number> }>;
  projectId?: string;
  userId?: string;
  consumerGeneration?: number;
  consumerType?: string | null;
}

export interface ProviderListFilters {
  name?: string;
  uuid?: string;
  memberOf?: string[][];
  resources?: Record<string, number>;
  inTree?: string;
  required?: string[];
}
