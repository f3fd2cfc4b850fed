/**
 * Allocation candidates: single providers that can satisfy the whole request.
 *
 * One query does the work: among providers passing the trait/aggregate/tree
 * filters, it keeps the inventory rows of the requested classes with room for
 * the amount under their unit rules, groups them per provider (a candidate
 * has a row for every class) and returns one row per candidate with each
 * class's capacity and usage and the provider's traits. Rows are what cost
 * here, so it is one per provider. Only 1.27's full summaries need a second
 * query, for the classes not asked for.
 */
import { sql, type AliasedRawBuilder } from 'kysely';
import { capacityOf, type PlacementContext } from './context.js';
import { aggregateConditions, andAll, rootTraitConditions, traitConditions, treeCondition } from './filters.js';
import type { AllocationCandidates, AllocationCandidatesQuery, AllocationRequest, ProviderSummary } from './types.js';

type CandidateRow = {
  id: number; uuid: string; parent_provider_uuid: string | null; root_provider_uuid: string; traits: string | null;
} & Record<string, unknown>;

export async function getAllocationCandidates(ctx: PlacementContext, query: AllocationCandidatesQuery, opts: { randomize?: boolean } = {}): Promise<AllocationCandidates> {
  const wanted = Object.entries(query.resources);
  if (wanted.length === 0) return { allocationRequests: [], providerSummaries: {} };

  // The epsilon lets float noise in ratio × total through; capacityOf decides exactly below.
  const fits = sql.join(wanted.map(([rc, amount]) =>
    sql`(i.resource_class = ${rc} and i.min_unit <= ${amount} and i.max_unit >= ${amount} and ${amount} % i.step_size = 0 and (i.total - i.reserved) * i.allocation_ratio - i.used + 0.000001 >= ${amount})`), sql` or `);
  const perClass: AliasedRawBuilder<unknown, string>[] = wanted.flatMap(([rc], k) => [
    sql`max(case when i.resource_class = ${rc} then (i.total - i.reserved) * i.allocation_ratio end)`.as(`cap${k}`),
    sql`max(case when i.resource_class = ${rc} then i.used end)`.as(`used${k}`),
  ]);
  const traitList = ctx.postgres
    ? sql<string | null>`(select string_agg(pt.trait, ',') from placement_provider_traits pt where pt.resource_provider_id = p.id)`
    : sql<string | null>`(select group_concat(pt.trait, ',') from placement_provider_traits pt where pt.resource_provider_id = p.id)`;

  let q = ctx.db.selectFrom('placement_inventories as i')
    .innerJoin('placement_resource_providers as p', 'p.id', 'i.resource_provider_id')
    .select(['p.id', 'p.uuid', 'p.parent_provider_uuid', 'p.root_provider_uuid'])
    .select(traitList.as('traits'))
    .select(perClass as never[])
    .where(sql<boolean>`(${fits})`)
    .where(andAll([...traitConditions(query.required), ...rootTraitConditions(query.rootRequired), ...aggregateConditions(query.memberOf), ...treeCondition(query.inTree)]))
    // p.id is the providers' key, so both dialects accept its other columns ungrouped.
    .groupBy('p.id')
    .having(sql<boolean>`count(*) = ${wanted.length}`)
    .orderBy('p.id');
  if (query.limit !== undefined && !opts.randomize) q = q.limit(query.limit);
  let rows = (await q.execute()) as CandidateRow[];

  rows = rows.filter((r) => wanted.every(([, amount], k) => Number(r[`used${k}`]) + amount <= capacityFromProduct(r[`cap${k}`])));
  if (opts.randomize) shuffle(rows);
  if (query.limit !== undefined) rows = rows.slice(0, query.limit);

  const allocationRequests: AllocationRequest[] = [];
  const providerSummaries: Record<string, ProviderSummary> = {};
  const summaryById = new Map<number, ProviderSummary>();
  for (const r of rows) {
    const summary: ProviderSummary = {
      resources: {},
      traits: r.traits ? r.traits.split(',').sort() : [],
      parentProviderUuid: r.parent_provider_uuid,
      rootProviderUuid: r.root_provider_uuid,
    };
    wanted.forEach(([rc], k) => {
      summary.resources[rc] = { capacity: capacityFromProduct(r[`cap${k}`]), used: Number(r[`used${k}`]) };
    });
    allocationRequests.push({ allocations: { [r.uuid]: { resources: { ...query.resources } } } });
    providerSummaries[r.uuid] = summary;
    summaryById.set(r.id, summary);
  }

  if (query.summarizeAllClasses && rows.length > 0) {
    const others = await ctx.db.selectFrom('placement_inventories')
      .select(['resource_provider_id', 'resource_class', 'total', 'reserved', 'allocation_ratio', 'used'])
      .where('resource_provider_id', 'in', [...summaryById.keys()])
      .where('resource_class', 'not in', wanted.map(([rc]) => rc)).execute();
    for (const o of others) {
      summaryById.get(o.resource_provider_id)!.resources[o.resource_class] = {
        capacity: capacityOf({ total: o.total, reserved: o.reserved, allocation_ratio: Number(o.allocation_ratio) }), used: Number(o.used),
      };
    }
  }
  return { allocationRequests, providerSummaries };
}

/** capacityOf for a (total - reserved) × ratio the database already multiplied. */
function capacityFromProduct(product: unknown): number {
  return capacityOf({ total: Number(product), reserved: 0, allocation_ratio: 1 });
}

export function shuffle<T>(a: T[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
}
