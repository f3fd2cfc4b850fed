/**
 * Allocation candidates: single providers that can satisfy the whole request.
 * One query finds, among providers passing the trait/aggregate/tree filters,
 * the inventory rows of the requested classes with room for the amount under
 * their unit rules; a provider is a candidate when every class has a row. One
 * more query fetches the summaries' traits (and, for 1.27's summaries, the
 * other classes).
 */
import { sql } from 'kysely';
import { capacityOf, type PlacementContext } from './context.js';
import { aggregateConditions, andAll, rootTraitConditions, traitConditions, treeCondition } from './filters.js';
import type { AllocationCandidates, AllocationCandidatesQuery, AllocationRequest, ProviderSummary } from './types.js';

interface CandidateRow {
  id: number; uuid: string; parent_provider_uuid: string | null; root_provider_uuid: string;
  resource_class: string; total: number; reserved: number; allocation_ratio: number; used: number;
}

export async function getAllocationCandidates(ctx: PlacementContext, query: AllocationCandidatesQuery, opts: { randomize?: boolean } = {}): Promise<AllocationCandidates> {
  const wanted = Object.entries(query.resources);
  if (wanted.length === 0) return { allocationRequests: [], providerSummaries: {} };

  const unitRules = sql.join(wanted.map(([rc, amount]) =>
    sql`(i.resource_class = ${rc} and i.min_unit <= ${amount} and i.max_unit >= ${amount} and ${amount} % i.step_size = 0 and (i.total - i.reserved) * i.allocation_ratio - i.used + 0.000001 >= ${amount})`), sql` or `);
  const rows = await ctx.db.selectFrom('placement_inventories as i')
    .innerJoin('placement_resource_providers as p', 'p.id', 'i.resource_provider_id')
    .select(['p.id', 'p.uuid', 'p.parent_provider_uuid', 'p.root_provider_uuid', 'i.resource_class', 'i.total', 'i.reserved', 'i.allocation_ratio', 'i.used'])
    .where(sql<boolean>`(${unitRules})`)
    .where(andAll([...traitConditions(query.required), ...rootTraitConditions(query.rootRequired), ...aggregateConditions(query.memberOf), ...treeCondition(query.inTree)]))
    .orderBy('p.id')
    .execute() as CandidateRow[];

  const byProvider = new Map<number, CandidateRow[]>();
  for (const r of rows) {
    const capacity = capacityOf({ total: r.total, reserved: r.reserved, allocation_ratio: Number(r.allocation_ratio) });
    if (Number(r.used) + query.resources[r.resource_class]! > capacity) continue;
    const list = byProvider.get(r.id);
    if (list) list.push(r); else byProvider.set(r.id, [r]);
  }
  let fits = [...byProvider.values()].filter((list) => list.length === wanted.length);
  if (opts.randomize) shuffle(fits);
  if (query.limit !== undefined) fits = fits.slice(0, query.limit);
  if (fits.length === 0) return { allocationRequests: [], providerSummaries: {} };

  const ids = fits.map((list) => list[0]!.id);
  const [traitRows, otherRows] = await Promise.all([
    ctx.db.selectFrom('placement_provider_traits').select(['resource_provider_id', 'trait'])
      .where('resource_provider_id', 'in', ids).orderBy('trait').execute(),
    query.summarizeAllClasses
      ? ctx.db.selectFrom('placement_inventories as i')
        .select(['i.resource_provider_id', 'i.resource_class', 'i.total', 'i.reserved', 'i.allocation_ratio', 'i.used'])
        .where('i.resource_provider_id', 'in', ids)
        .where('i.resource_class', 'not in', wanted.map(([rc]) => rc)).execute()
      : Promise.resolve([]),
  ]);
  const traits = new Map<number, string[]>();
  for (const t of traitRows) {
    const list = traits.get(t.resource_provider_id);
    if (list) list.push(t.trait); else traits.set(t.resource_provider_id, [t.trait]);
  }

  const allocationRequests: AllocationRequest[] = [];
  const providerSummaries: Record<string, ProviderSummary> = {};
  const summaryById = new Map<number, ProviderSummary>();
  for (const list of fits) {
    const first = list[0]!;
    const resources: Record<string, number> = {};
    const summary: ProviderSummary = {
      resources: {}, traits: traits.get(first.id) ?? [],
      parentProviderUuid: first.parent_provider_uuid, rootProviderUuid: first.root_provider_uuid,
    };
    for (const r of list) {
      resources[r.resource_class] = query.resources[r.resource_class]!;
      summary.resources[r.resource_class] = {
        capacity: capacityOf({ total: r.total, reserved: r.reserved, allocation_ratio: Number(r.allocation_ratio) }), used: Number(r.used),
      };
    }
    allocationRequests.push({ allocations: { [first.uuid]: { resources } } });
    providerSummaries[first.uuid] = summary;
    summaryById.set(first.id, summary);
  }
  for (const r of otherRows) {
    summaryById.get(r.resource_provider_id)!.resources[r.resource_class] = {
      capacity: capacityOf({ total: r.total, reserved: r.reserved, allocation_ratio: Number(r.allocation_ratio) }), used: Number(r.used),
    };
  }
  return { allocationRequests, providerSummaries };
}

function shuffle<T>(a: T[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
}
