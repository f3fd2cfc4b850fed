/**
 * PlacementService: the Node API of placement. The scheduler calls it
 * in-process; the HTTP API (api/routes.ts) is a thin layer over it. The work
 * lives in one module per concern (providers, inventories, allocations,
 * candidates, catalog, associations).
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { isPostgres } from '../db/schema-helpers.js';
import type { PlacementContext } from './context.js';
import type { PlacementDb } from './tables.js';
import * as providers from './providers.js';
import * as inventories from './inventories.js';
import * as allocations from './allocations.js';
import * as candidates from './candidates.js';
import * as snapshot from './snapshot.js';
import * as catalog from './catalog.js';
import * as associations from './associations.js';
import type {
  AllocationCandidates, AllocationCandidatesQuery, ConsumerAllocations, ConsumerWrite,
  Inventory, InventoryInput, ProviderInventories, ProviderListFilters, ResourceProvider,
} from './types.js';
import type { WriteResult } from './allocations.js';
import type { InventoryRules } from './inventories.js';
import type { TraitListFilters } from './catalog.js';

export interface PlacementServiceOptions {
  db: Kysely<any>;
  logger: Logger;
  /** Shuffle candidates before the limit ([placement] randomize_allocation_candidates). */
  randomizeAllocationCandidates?: boolean;
}

/** A claim is one consumer's write (consumerGeneration null: the consumer must hold nothing yet). */
export type ClaimRequest = ConsumerWrite;

export class PlacementService {
  /** Exposed for the HTTP layer's modules; not for other services. */
  readonly ctx: PlacementContext;
  private readonly randomize: boolean;

  constructor(opts: PlacementServiceOptions) {
    this.ctx = { db: opts.db as PlacementDb, postgres: isPostgres(opts.db), logger: opts.logger };
    this.randomize = opts.randomizeAllocationCandidates ?? false;
  }

  // ---- resource providers

  ensureResourceProvider(input: { uuid: string; name: string; parentUuid?: string | null }): Promise<ResourceProvider> {
    return providers.ensureProvider(this.ctx, input);
  }

  /** Throws DuplicateName (409 placement.duplicate_name) when the uuid or name is taken. */
  createResourceProvider(input: { uuid?: string; name: string; parentUuid?: string | null }): Promise<ResourceProvider> {
    return providers.createProvider(this.ctx, input);
  }

  getResourceProvider(uuid: string): Promise<ResourceProvider | null> {
    return providers.getProvider(this.ctx, uuid);
  }

  updateResourceProvider(uuid: string, input: { name: string; parentUuid?: string | null }, opts: { allowReparent?: boolean } = {}): Promise<ResourceProvider> {
    return providers.updateProvider(this.ctx, uuid, input, opts.allowReparent ?? false);
  }

  /** Throws ProviderNotFound, or a 409 while it has allocations or children. */
  deleteResourceProvider(uuid: string): Promise<void> {
    return providers.deleteProvider(this.ctx, uuid);
  }

  listResourceProviders(filters: ProviderListFilters = {}): Promise<ResourceProvider[]> {
    return providers.listProviders(this.ctx, filters);
  }

  // ---- inventories

  getInventories(rpUuid: string): Promise<ProviderInventories> {
    return inventories.getInventories(this.ctx, rpUuid);
  }

  /**
   * Replace the provider's whole inventory. `generation`, when given, must be
   * the provider's current one (else 409 placement.concurrent_update); taking
   * away or shrinking below what is allocated is a 409 placement.inventory.inuse.
   */
  setInventories(rpUuid: string, invs: Record<string, InventoryInput>, generation?: number, rules?: InventoryRules): Promise<ProviderInventories> {
    return inventories.setInventories(this.ctx, rpUuid, invs, generation, rules);
  }

  addInventory(rpUuid: string, rc: string, inv: InventoryInput, generation?: number, rules?: InventoryRules): Promise<ProviderInventories> {
    return inventories.addInventory(this.ctx, rpUuid, rc, inv, generation, rules);
  }

  updateInventory(rpUuid: string, rc: string, inv: InventoryInput, generation?: number, rules?: InventoryRules): Promise<ProviderInventories> {
    return inventories.updateInventory(this.ctx, rpUuid, rc, inv, generation, rules);
  }

  deleteInventory(rpUuid: string, rc: string, generation?: number): Promise<ProviderInventories> {
    return inventories.deleteInventory(this.ctx, rpUuid, rc, generation);
  }

  deleteAllInventories(rpUuid: string, generation?: number): Promise<ProviderInventories> {
    return inventories.deleteAllInventories(this.ctx, rpUuid, generation);
  }

  async getInventory(rpUuid: string, rc: string): Promise<{ generation: number; inventory: Inventory | null }> {
    const all = await inventories.getInventories(this.ctx, rpUuid);
    return { generation: all.generation, inventory: Object.hasOwn(all.inventories, rc) ? all.inventories[rc]! : null };
  }

  // ---- traits and aggregates

  getTraits(rpUuid: string): Promise<associations.ProviderTraits> {
    return associations.getProviderTraits(this.ctx, rpUuid);
  }

  /** Unknown traits → 400; they must be standard or created first (ensureTrait). */
  setTraits(rpUuid: string, traits: string[], generation?: number): Promise<associations.ProviderTraits> {
    return associations.setProviderTraits(this.ctx, rpUuid, traits, generation);
  }

  getAggregates(rpUuid: string): Promise<associations.ProviderAggregates> {
    return associations.getProviderAggregates(this.ctx, rpUuid);
  }

  setAggregates(rpUuid: string, aggregates: string[], generation?: number): Promise<associations.ProviderAggregates> {
    return associations.setProviderAggregates(this.ctx, rpUuid, aggregates, generation);
  }

  // ---- resource classes and traits catalog

  listResourceClasses(): Promise<string[]> { return catalog.listResourceClasses(this.ctx); }
  resourceClassExists(name: string): Promise<boolean> { return catalog.resourceClassExists(this.ctx, name); }
  createResourceClass(name: string): Promise<void> { return catalog.createResourceClass(this.ctx, name); }
  ensureResourceClass(name: string): Promise<boolean> { return catalog.ensureResourceClass(this.ctx, name); }
  renameResourceClass(from: string, to: string): Promise<void> { return catalog.renameResourceClass(this.ctx, from, to); }
  deleteResourceClass(name: string): Promise<void> { return catalog.deleteResourceClass(this.ctx, name); }
  /** Of `names`, those neither standard nor created (one query at most). */
  unknownResourceClasses(names: Iterable<string>): Promise<string[]> { return catalog.unknownResourceClasses(this.ctx, names); }
  unknownTraits(names: Iterable<string>): Promise<string[]> { return catalog.unknownTraits(this.ctx, names); }
  listTraits(filters?: TraitListFilters): Promise<string[]> { return catalog.listTraits(this.ctx, filters); }
  traitExists(name: string): Promise<boolean> { return catalog.traitExists(this.ctx, name); }
  ensureTrait(name: string): Promise<boolean> { return catalog.ensureTrait(this.ctx, name); }
  deleteTrait(name: string): Promise<void> { return catalog.deleteTrait(this.ctx, name); }

  // ---- allocation candidates and claims (the scheduler's hot path)

  getAllocationCandidates(query: AllocationCandidatesQuery): Promise<AllocationCandidates> {
    return candidates.getAllocationCandidates(this.ctx, query, { randomize: this.randomize });
  }

  /** Every provider's inventory and usage (those of `uuids` when given), for a caller that keeps its own view (the scheduler's host states). */
  inventorySnapshot(uuids?: readonly string[]): Promise<snapshot.ProviderState[]> {
    return snapshot.inventorySnapshot(this.ctx, uuids);
  }

  /** One row that moves whenever any provider is created, deleted or written to: whether a kept view still stands. */
  providersStamp(): Promise<snapshot.ProvidersStamp> {
    return snapshot.providersStamp(this.ctx);
  }

  /** The stamp providersStamp gives while the providers are as `states` read them. */
  stampOf(states: readonly snapshot.ProviderState[]): snapshot.ProvidersStamp {
    return snapshot.stampOf(states);
  }

  /** Every provider's generation now, by uuid: which states of a kept view to read again. */
  providerGenerations(): Promise<Map<string, number>> {
    return snapshot.providerGenerations(this.ctx);
  }

  /**
   * The providers getAllocationCandidates would offer on `providers` (a
   * snapshot), with `pending` usage counted; null when the query needs more
   * than amounts.
   */
  fittingFromSnapshot(providers: readonly snapshot.ProviderState[], query: AllocationCandidatesQuery, pending?: ReadonlyMap<string, Record<string, number>>): snapshot.ProviderState[] | null {
    if (!snapshot.answerableFromSnapshot(query)) return null;
    return snapshot.fittingProviders(providers, query.resources, query.limit, { pending, randomize: this.randomize });
  }

  /**
   * Atomically make `allocations` what the consumer holds. False when a
   * provider no longer has the capacity (or is gone): nothing was written and
   * the scheduler should try another candidate. A consumer generation
   * mismatch is an error (409 placement.concurrent_update), not a false.
   */
  async claimResources(req: ClaimRequest): Promise<boolean> {
    return (await this.claimWithGenerations(req)) !== null;
  }

  /** claimResources telling, when it is made, the generation it left each of its providers at (null: refused). */
  async claimWithGenerations(req: ClaimRequest): Promise<Record<string, number> | null> {
    const res = await allocations.writeAllocations(this.ctx, [req]);
    if (res.ok) return res.generations;
    this.ctx.logger.debug({ consumer: req.consumerUuid, reason: res.reason, detail: res.detail }, 'placement claim refused');
    return null;
  }

  /** Several consumers at once, all or nothing (POST /allocations); the refusal says why. */
  writeAllocations(writes: ConsumerWrite[]): Promise<WriteResult> {
    return allocations.writeAllocations(this.ctx, writes);
  }

  /** False when the consumer held nothing. */
  deleteAllocations(consumerUuid: string): Promise<boolean> {
    return allocations.deleteAllocations(this.ctx, consumerUuid);
  }

  getAllocations(consumerUuid: string): Promise<ConsumerAllocations> {
    return allocations.getAllocations(this.ctx, consumerUuid);
  }

  getProviderAllocations(rpUuid: string): ReturnType<typeof allocations.getProviderAllocations> {
    return allocations.getProviderAllocations(this.ctx, rpUuid);
  }

  /** Every inventoried class of the provider with what is allocated of it. */
  async getProviderUsages(rpUuid: string): Promise<Record<string, number>> {
    return (await allocations.getProviderUsages(this.ctx, rpUuid)).usages;
  }

  getProviderUsagesWithGeneration(rpUuid: string): ReturnType<typeof allocations.getProviderUsages> {
    return allocations.getProviderUsages(this.ctx, rpUuid);
  }

  getProjectUsages(projectId: string, userId?: string): Promise<Record<string, number>> {
    return allocations.getProjectUsages(this.ctx, projectId, userId);
  }

  getProjectUsagesByType(projectId: string, userId?: string): Promise<allocations.TypedUsage[]> {
    return allocations.getProjectUsagesByType(this.ctx, projectId, userId);
  }
}

export type * from './types.js';
export type { ProviderState, InventoryState, ProvidersStamp } from './snapshot.js';
