/**
 * Provider filters shared by GET /resource_providers and allocation candidates,
 * as SQL conditions on a providers table aliased `p`, so filtering happens in
 * one query instead of per provider.
 */
import { sql, type RawBuilder, type SqlBool } from 'kysely';

/** Required traits: plain names must all be present, '!NAME' must be absent, 'in:A,B' needs any of them. */
export function traitConditions(required: readonly string[] | undefined, provider: RawBuilder<unknown> = sql.ref('p.id')): RawBuilder<SqlBool>[] {
  if (!required || required.length === 0) return [];
  const all: string[] = [];
  const forbidden: string[] = [];
  const anyOf: string[][] = [];
  for (const entry of required) {
    if (entry.startsWith('!')) forbidden.push(entry.slice(1));
    else if (entry.startsWith('in:')) anyOf.push(entry.slice(3).split(','));
    else all.push(entry);
  }
  const out: RawBuilder<SqlBool>[] = [];
  const uniqueAll = [...new Set(all)];
  if (uniqueAll.length > 0) {
    out.push(sql<SqlBool>`${provider} in (select pt.resource_provider_id from placement_provider_traits pt where pt.trait in (${sql.join(uniqueAll)}) group by pt.resource_provider_id having count(*) = ${uniqueAll.length})`);
  }
  if (forbidden.length > 0) {
    out.push(sql<SqlBool>`${provider} not in (select pt.resource_provider_id from placement_provider_traits pt where pt.trait in (${sql.join(forbidden)}))`);
  }
  for (const group of anyOf) {
    out.push(sql<SqlBool>`${provider} in (select pt.resource_provider_id from placement_provider_traits pt where pt.trait in (${sql.join(group)}))`);
  }
  return out;
}

/** Each inner list: member of at least one aggregate; an inner list of '!' entries: member of none. */
export function aggregateConditions(memberOf: readonly (readonly string[])[] | undefined): RawBuilder<SqlBool>[] {
  const out: RawBuilder<SqlBool>[] = [];
  for (const group of memberOf ?? []) {
    const positive = group.filter((a) => !a.startsWith('!'));
    const negative = group.filter((a) => a.startsWith('!')).map((a) => a.slice(1));
    if (positive.length > 0) {
      out.push(sql<SqlBool>`p.id in (select pa.resource_provider_id from placement_provider_aggregates pa where pa.aggregate_uuid in (${sql.join(positive)}))`);
    }
    if (negative.length > 0) {
      out.push(sql<SqlBool>`p.id not in (select pa.resource_provider_id from placement_provider_aggregates pa where pa.aggregate_uuid in (${sql.join(negative)}))`);
    }
  }
  return out;
}

/** Traits the provider's root must have (or lack), as traitConditions spells them (root_required, 1.35). */
export function rootTraitConditions(required: readonly string[] | undefined): RawBuilder<SqlBool>[] {
  if (!required || required.length === 0) return [];
  const rootId = sql`(select r.id from placement_resource_providers r where r.uuid = p.root_provider_uuid)`;
  return traitConditions(required, rootId);
}

export function treeCondition(inTree: string | undefined): RawBuilder<SqlBool>[] {
  if (inTree === undefined) return [];
  return [sql<SqlBool>`p.root_provider_uuid = (select t.root_provider_uuid from placement_resource_providers t where t.uuid = ${inTree})`];
}

/** The provider can take `amount` of `rc` more, in one allocation (capacity and max_unit). */
export function capacityCondition(rc: string, amount: number): RawBuilder<SqlBool> {
  return sql<SqlBool>`p.id in (select i.resource_provider_id from placement_inventories i where i.resource_class = ${rc} and i.max_unit >= ${amount} and (i.total - i.reserved) * i.allocation_ratio - i.used + 0.000001 >= ${amount})`;
}

export function andAll(conditions: RawBuilder<SqlBool>[]): RawBuilder<SqlBool> {
  return conditions.length === 0 ? sql<SqlBool>`1 = 1` : sql<SqlBool>`${sql.join(conditions, sql` and `)}`;
}
