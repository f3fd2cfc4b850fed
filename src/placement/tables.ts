/** Placement's tables, as Kysely sees them (`db as Kysely<PlacementTables>`). */
import type { Generated, Kysely } from 'kysely';

export interface ResourceProviderRow {
  id: Generated<number>;
  uuid: string;
  name: string;
  generation: number;
  /** Kept as uuids, not ids: every view shows them and a root points at itself. */
  parent_provider_uuid: string | null;
  root_provider_uuid: string;
  created_at: string;
  updated_at: string;
}

export interface InventoryRow {
  resource_provider_id: number;
  resource_class: string;
  total: number;
  reserved: number;
  min_unit: number;
  max_unit: number;
  step_size: number;
  allocation_ratio: number;
  /** Sum of the allocations of this class on this provider (see migrations.ts). */
  used: number;
  created_at: string;
  updated_at: string;
}

export interface ConsumerRow {
  uuid: string;
  project_id: string;
  user_id: string;
  consumer_type: string | null;
  generation: number;
  created_at: string;
  updated_at: string;
}

export interface AllocationRow {
  consumer_id: string;
  resource_provider_id: number;
  resource_class: string;
  used: number;
  created_at: string;
}

export interface NamedRow {
  id: Generated<number>;
  name: string;
  created_at: string;
}

export interface ProviderTraitRow {
  resource_provider_id: number;
  trait: string;
}

export interface ProviderAggregateRow {
  resource_provider_id: number;
  aggregate_uuid: string;
}

export interface PlacementTables {
  placement_resource_providers: ResourceProviderRow;
  placement_inventories: InventoryRow;
  placement_consumers: ConsumerRow;
  placement_allocations: AllocationRow;
  placement_resource_classes: NamedRow;
  placement_traits: NamedRow;
  placement_provider_traits: ProviderTraitRow;
  placement_provider_aggregates: ProviderAggregateRow;
}

export type PlacementDb = Kysely<PlacementTables>;
