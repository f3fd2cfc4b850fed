/**
 * Every provider's inventory and usage in one read, and the providers a
 * plain request fits worked out from it in memory.
 *
 * A scheduler that keeps this snapshot (as Nova's HostManager keeps host
 * states) answers the common request, single providers with some amounts of
 * some classes and nothing else, without a query per decision. The answer is
 * the one getAllocationCandidates would give on the snapshot's data: same
 * unit rules, same capacity rounding, same order (provider id) and limit. It
 * is as fresh as the snapshot: each state carries its provider's generation,
 * so a keeper can tell from one row (providersStamp) whether placement moved
 * on and read again only the providers that did; the claim, checked against
 * the database under provider generations, still decides.
 */
import { sql } from 'kysely';
import { capacityOf, type PlacementContext } from './context.js';
import { shuffle } from './candidates.js';
import type { InventoryRow } from './tables.js';
import type { AllocationCandidatesQuery } from './types.js';

/** An inventory as the snapshot holds it: the row's figures and the capacity they make. */
export type InventoryState = Pick<InventoryRow, 'total' | 'reserved' | 'min_unit' | 'max_unit' | 'step_size' | 'allocation_ratio' | 'used'> & {
  /** capacityOf the above, worked out once per read. */
  capacity: number;
};

export interface ProviderState {
  id: number;
  uuid: string;
  /** The provider's generation as read: every allocation or inventory write moves it. */
  generation: number;
  parentProviderUuid: string | null;
  rootProviderUuid: string;
  inventories: Record<string, InventoryState>;
}

/**
 * An inventory's state, its capacity worked out. Built field by field: an
 * object spread with a property added makes a slow object, and a scheduler
 * reads three of these per provider for every decision.
 */
export function inventoryState(inv: Omit<InventoryState, 'capacity'>): InventoryState {
  return {
    total: inv.total, reserved: inv.reserved, min_unit: inv.min_unit, max_unit: inv.max_unit, step_size: inv.step_size,
    allocation_ratio: inv.allocation_ratio, used: inv.used, capacity: capacityOf(inv),
  };
}

/**
 * Every provider with its inventories (none for a provider without), in
 * provider id order (the order candidates come in); only those of `uuids`
 * when given.
 */
export async function inventorySnapshot(ctx: PlacementContext, uuids?: readonly string[]): Promise<ProviderState[]> {
  if (uuids?.length === 0) return [];
  let q = ctx.db.selectFrom('placement_resource_providers as p')
    .leftJoin('placement_inventories as i', 'i.resource_provider_id', 'p.id')
    .select(['p.id', 'p.uuid', 'p.generation', 'p.parent_provider_uuid', 'p.root_provider_uuid',
      'i.resource_class', 'i.total', 'i.reserved', 'i.min_unit', 'i.max_unit', 'i.step_size', 'i.allocation_ratio', 'i.used'])
    .orderBy('p.id');
  if (uuids) q = q.where('p.uuid', 'in', [...uuids]);
  const rows = await q.execute();
  const out: ProviderState[] = [];
  let last: ProviderState | undefined;
  for (const r of rows) {
    if (last?.id !== r.id) {
      last = { id: r.id, uuid: r.uuid, generation: r.generation, parentProviderUuid: r.parent_provider_uuid, rootProviderUuid: r.root_provider_uuid, inventories: {} };
      out.push(last);
    }
    if (r.resource_class === null) continue;
    last.inventories[r.resource_class] = inventoryState({
      total: r.total!, reserved: r.reserved!, min_unit: r.min_unit!, max_unit: r.max_unit!, step_size: r.step_size!,
      allocation_ratio: Number(r.allocation_ratio), used: Number(r.used),
    });
  }
  return out;
}

/**
 * A digest of every provider's identity and generation: it moves with any
 * provider created, deleted or written to (generations only grow), so one
 * row tells whether a set of states read earlier still stands.
 */
export interface ProvidersStamp {
  count: number;
  /** Sum of the providers' ids: a provider deleted and another created leave the count as it was. */
  ids: number;
  generations: number;
}

export async function providersStamp(ctx: PlacementContext): Promise<ProvidersStamp> {
  // Written out: asked before every decision, the query builder cost three times the query's own CPU.
  const { rows: [r] } = await sql<Record<keyof ProvidersStamp, number | string>>`
    select count(*) as count, coalesce(sum(id), 0) as ids, coalesce(sum(generation), 0) as generations from placement_resource_providers`
    .execute(ctx.db);
  return { count: Number(r!.count), ids: Number(r!.ids), generations: Number(r!.generations) };
}

/** The stamp `providersStamp` gives while the providers are as `states` read them. */
export function stampOf(states: readonly Pick<ProviderState, 'id' | 'generation'>[]): ProvidersStamp {
  const stamp = { count: states.length, ids: 0, generations: 0 };
  for (const s of states) {
    stamp.ids += s.id;
    stamp.generations += s.generation;
  }
  return stamp;
}

/** Every provider's generation now, by uuid. */
export async function providerGenerations(ctx: PlacementContext): Promise<Map<string, number>> {
  const rows = await ctx.db.selectFrom('placement_resource_providers').select(['uuid', 'generation']).execute();
  return new Map(rows.map((r) => [r.uuid, r.generation]));
}

/** Whether the snapshot can answer the query: amounts only (no traits, aggregates, trees or full summaries). */
export function answerableFromSnapshot(query: AllocationCandidatesQuery): boolean {
  return !query.required?.length && !query.memberOf?.length && !query.rootRequired?.length
    && query.inTree === undefined && !query.summarizeAllClasses;
}

/**
 * The providers among `providers` that an amounts-only request fits, as
 * getAllocationCandidates would offer them on the snapshot's data: the same
 * unit rules and capacity, in the same order (provider id, or shuffled when
 * `randomize`), at most `limit`. `pending` (usage the snapshot does not show
 * yet) counts against the fit. What each has free is in its inventories
 * (capacity − used, as placement's summaries would report it as of the read).
 */
export function fittingProviders(
  providers: readonly ProviderState[], resources: Record<string, number>, limit: number | undefined,
  opts: { pending?: ReadonlyMap<string, Record<string, number>>; randomize?: boolean } = {},
): ProviderState[] {
  const wanted = Object.entries(resources);
  const out: ProviderState[] = [];
  if (wanted.length === 0) return out;
  // Randomized, the limit keeps a random subset of all that fit, as placement's does.
  const order = opts.randomize ? [...providers] : providers;
  if (opts.randomize) shuffle(order as ProviderState[]);
  for (const p of order) {
    if (limit !== undefined && out.length >= limit) break;
    const extra = opts.pending?.get(p.uuid);
    let fits = true;
    for (const [rc, amount] of wanted) {
      const inv = p.inventories[rc];
      if (!inv || amount < inv.min_unit || amount > inv.max_unit || amount % inv.step_size !== 0
        || inv.used + (extra?.[rc] ?? 0) + amount > inv.capacity) {
        fits = false;
        break;
      }
    }
    if (fits) out.push(p);
  }
  return out;
}
