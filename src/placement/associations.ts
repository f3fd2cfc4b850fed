/** A provider's traits and aggregates: read, replace (with a generation check), clear. */
import { BadRequest } from '../errors.js';
import { bumpGeneration, checkGeneration, lockProvider, type PlacementContext } from './context.js';
import { ProviderNotFound } from './errors.js';
import { unknownTraits } from './catalog.js';

export interface ProviderTraits { traits: string[]; generation: number }
export interface ProviderAggregates { aggregates: string[]; generation: number }

async function providerHeader(ctx: PlacementContext, uuid: string): Promise<{ id: number; generation: number }> {
  const rp = await ctx.db.selectFrom('placement_resource_providers').select(['id', 'generation']).where('uuid', '=', uuid).executeTakeFirst();
  if (!rp) throw new ProviderNotFound(uuid);
  return rp;
}

export async function getProviderTraits(ctx: PlacementContext, uuid: string): Promise<ProviderTraits> {
  const rp = await providerHeader(ctx, uuid);
  const rows = await ctx.db.selectFrom('placement_provider_traits').select('trait').where('resource_provider_id', '=', rp.id).orderBy('trait').execute();
  return { traits: rows.map((r) => r.trait), generation: rp.generation };
}

export async function setProviderTraits(ctx: PlacementContext, uuid: string, traits: string[], generation?: number): Promise<ProviderTraits> {
  const wanted = [...new Set(traits)].sort();
  const unknown = await unknownTraits(ctx, wanted);
  if (unknown.length > 0) throw new BadRequest(`No such trait(s): ${unknown.join(', ')}`);
  return ctx.db.transaction().execute(async (trx) => {
    const rp = await lockProvider(ctx, trx, uuid);
    checkGeneration(rp, generation);
    await trx.deleteFrom('placement_provider_traits').where('resource_provider_id', '=', rp.id).execute();
    if (wanted.length > 0) {
      await trx.insertInto('placement_provider_traits').values(wanted.map((trait) => ({ resource_provider_id: rp.id, trait }))).execute();
    }
    const gen = await bumpGeneration(trx, rp);
    return { traits: wanted, generation: gen };
  });
}

export async function getProviderAggregates(ctx: PlacementContext, uuid: string): Promise<ProviderAggregates> {
  const rp = await providerHeader(ctx, uuid);
  const rows = await ctx.db.selectFrom('placement_provider_aggregates').select('aggregate_uuid').where('resource_provider_id', '=', rp.id).orderBy('aggregate_uuid').execute();
  return { aggregates: rows.map((r) => r.aggregate_uuid), generation: rp.generation };
}

export async function setProviderAggregates(ctx: PlacementContext, uuid: string, aggregates: string[], generation?: number): Promise<ProviderAggregates> {
  const wanted = [...new Set(aggregates)].sort();
  return ctx.db.transaction().execute(async (trx) => {
    const rp = await lockProvider(ctx, trx, uuid);
    checkGeneration(rp, generation);
    await trx.deleteFrom('placement_provider_aggregates').where('resource_provider_id', '=', rp.id).execute();
    if (wanted.length > 0) {
      await trx.insertInto('placement_provider_aggregates').values(wanted.map((a) => ({ resource_provider_id: rp.id, aggregate_uuid: a }))).execute();
    }
    const gen = await bumpGeneration(trx, rp);
    return { aggregates: wanted, generation: gen };
  });
}
