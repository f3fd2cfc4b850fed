/**
 * Allocations: the atomic write of what consumers hold, and its reads.
 *
 * A write follows placement's protocol: read the providers' generations,
 * inventories and usage, check capacity, write the allocations, and bump every
 * touched provider's generation with a compare-and-swap; a lost swap rolls the
 * whole write back and it runs again. On PostgreSQL the providers are read
 * FOR UPDATE (in uuid order, so two writers never deadlock), which turns most
 * would-be conflicts into a short wait; SQLite runs one transaction at a time.
 *
 * A claim for consumers placement does not know yet (a scheduler's) first
 * goes without a transaction on PostgreSQL: one statement reads the
 * providers' generations with their usage, and one statement writes
 * everything, only if the provider's generation is still the one read. Each
 * change of a provider's usage moves its generation in the same transaction,
 * so an unmoved generation means the usage checked is the usage now. Two
 * round trips instead of five (begin, lock, read, write, commit); a lost swap
 * writes nothing and the claim runs again the locking way. Only for claims on
 * one provider, whose swap hits or misses as a whole.
 */
import { sql } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import { nowIso } from '../db/schema-helpers.js';
import { bumpGeneration, capacityOf, isRetryableDbError, sleep, type PlacementContext, type Tx } from './context.js';
import { ConcurrentUpdate, ProviderNotFound } from './errors.js';
import type { ConsumerAllocations, ConsumerWrite, WriteFailure } from './types.js';

const MAX_ATTEMPTS = 10;

/** Thrown inside the transaction to roll it back and report a refusal. */
class Refused extends Error {
  constructor(readonly failure: WriteFailure) { super(failure.detail); }
}

/** A generation swap lost to another writer: roll back and run again. */
class LostRace extends Error {}

/** Written: with each touched provider's generation after the write. */
export type WriteResult = { ok: true; generations: Record<string, number> } | ({ ok: false } & WriteFailure);

export async function writeAllocations(ctx: PlacementContext, writes: ConsumerWrite[]): Promise<WriteResult> {
  if (ctx.postgres && onOneProvider(writes)) {
    try {
      const touched = await claimForNewConsumers(ctx, writes);
      if (touched) return written(touched);
    } catch (err) {
      if (err instanceof Refused) return { ok: false, ...err.failure };
      // A lost swap, or a consumer created meanwhile: the locking way sorts out either.
      if (!(err instanceof LostRace) && !isRetryableDbError(err)) throw err;
    }
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return written(await ctx.db.transaction().execute((trx) => attemptWrite(ctx, trx, writes)));
    } catch (err) {
      if (err instanceof Refused) return { ok: false, ...err.failure };
      const retry = err instanceof LostRace || (isRetryableDbError(err) && !(err instanceof ConcurrentUpdate));
      if (!retry) throw err;
      if (attempt >= MAX_ATTEMPTS) {
        throw new ConcurrentUpdate('Inventory and/or allocations changed while attempting to allocate. Please retry your request.');
      }
      ctx.logger.debug({ attempt, consumers: writes.map((w) => w.consumerUuid) }, 'allocation write lost a generation race; retrying');
      await sleep(Math.random() * 5 * attempt);
    }
  }
}

/**
 * Writes that each allocate, all on the same single provider: the shape of a
 * scheduler's claim, and one whose generation swap hits or misses as a whole.
 */
function onOneProvider(writes: ConsumerWrite[]): boolean {
  const providers = new Set<string>();
  for (const w of writes) {
    const named = Object.keys(w.allocations);
    if (named.length === 0) return false;
    for (const uuid of named) providers.add(uuid);
  }
  return providers.size === 1;
}

/** Every touched provider's generation moved by one, or nothing would have been written. */
function written(touched: LockedProvider[]): WriteResult {
  return { ok: true, generations: Object.fromEntries(touched.map((p) => [p.uuid, p.generation + 1])) };
}

/**
 * The claim without a transaction (see the top of this file); null when a
 * consumer exists already, which only the locking way handles. Throws Refused
 * as the locking way does, and LostRace when a generation moved.
 */
async function claimForNewConsumers(ctx: PlacementContext, writes: ConsumerWrite[]): Promise<LockedProvider[] | null> {
  const db = ctx.db;
  const wantedUuids = [...new Set(writes.flatMap((w) => Object.keys(w.allocations)))].sort();
  const state = await db.selectNoFrom([
    jsonArrayFrom(db.selectFrom('placement_resource_providers').select(['id', 'uuid', 'generation']).where('uuid', 'in', wantedUuids)).as('providers'),
    jsonArrayFrom(db.selectFrom('placement_inventories as i')
      .innerJoin('placement_resource_providers as p', 'p.id', 'i.resource_provider_id')
      .select(['i.resource_provider_id', 'i.resource_class', 'i.total', 'i.reserved', 'i.min_unit', 'i.max_unit', 'i.step_size', 'i.allocation_ratio', 'i.used'])
      .where('p.uuid', 'in', wantedUuids)).as('inventories'),
    jsonArrayFrom(db.selectFrom('placement_consumers').select('uuid').where('uuid', 'in', writes.map((w) => w.consumerUuid))).as('consumers'),
  ]).executeTakeFirstOrThrow();
  if (state.consumers.length > 0) return null;
  const byUuid = providersNamed(state.providers, wantedUuids);
  const delta = new Map<string, number>();
  checkCapacity(writes, byUuid, state.inventories, delta);
  for (const w of writes) checkConsumerGeneration(w, undefined);
  const now = nowIso();
  await writeNewConsumersAtOnce(db, writes, allocationRows(writes, byUuid, now), state.providers, delta, now);
  return state.providers;
}

/** The providers by uuid; Refused when one the request names does not exist. */
function providersNamed(providers: LockedProvider[], wantedUuids: string[]): Map<string, LockedProvider> {
  const byUuid = new Map(providers.map((p) => [p.uuid, p]));
  for (const uuid of wantedUuids) {
    if (!byUuid.has(uuid)) throw new Refused({ reason: 'provider_not_found', detail: `Allocation for resource provider '${uuid}' that does not exist.` });
  }
  return byUuid;
}

interface LockedProvider { id: number; uuid: string; generation: number }
interface AllocationInsert { consumer_id: string; resource_provider_id: number; resource_class: string; used: number; created_at: string }
interface HeldRow { consumer_id: string; resource_provider_id: number; resource_class: string; used: number }

/** The write's providers, as they were before it. */
async function attemptWrite(ctx: PlacementContext, trx: Tx, writes: ConsumerWrite[]): Promise<LockedProvider[]> {
  const consumerUuids = writes.map((w) => w.consumerUuid);
  const wantedUuids = [...new Set(writes.flatMap((w) => Object.keys(w.allocations)))].sort();

  // Providers named in the request, and those the consumers hold allocations on
  // now (they lose them, so their usage and generation move too).
  let pq = trx.selectFrom('placement_resource_providers as p')
    .select(['p.id', 'p.uuid', 'p.generation'])
    .where((eb) => eb.or([
      ...(wantedUuids.length > 0 ? [eb('p.uuid', 'in', wantedUuids)] : []),
      eb('p.id', 'in', eb.selectFrom('placement_allocations as a').select('a.resource_provider_id').where('a.consumer_id', 'in', consumerUuids)),
    ]))
    .orderBy('p.uuid');
  if (ctx.postgres) pq = pq.forUpdate();
  const providers: LockedProvider[] = await pq.execute();
  const byUuid = providersNamed(providers, wantedUuids);

  // Inventories are read by a statement of their own, after the locks are held:
  // joined into the locking query, PostgreSQL would re-check only the locked
  // provider row after waiting and hand back the usage from before the wait.
  const inventoryQuery = trx.selectFrom('placement_inventories')
    .select(['resource_provider_id', 'resource_class', 'total', 'reserved', 'min_unit', 'max_unit', 'step_size', 'allocation_ratio', 'used'])
    .where('resource_provider_id', 'in', providers.length === 0 ? [-1] : providers.map((p) => p.id));
  // A consumer's allocations are written with it, so a left join from consumers finds both.
  const consumerQuery = trx.selectFrom('placement_consumers as c')
    .leftJoin('placement_allocations as a', 'a.consumer_id', 'c.uuid')
    .select(['c.uuid', 'c.generation', 'a.resource_provider_id', 'a.resource_class', 'a.used'])
    .where('c.uuid', 'in', consumerUuids);
  // PostgreSQL: both in one round trip, as JSON arrays of their rows.
  const [inventories, consumerRows]: [InventoryWithUsage[], Awaited<ReturnType<typeof consumerQuery.execute>>] = ctx.postgres
    ? await trx.selectNoFrom([jsonArrayFrom(inventoryQuery).as('inventories'), jsonArrayFrom(consumerQuery).as('consumers')])
      .executeTakeFirstOrThrow().then((r) => [r.inventories, r.consumers])
    : [await inventoryQuery.execute(), await consumerQuery.execute()];
  const consumerGen = new Map<string, number>();
  const held: HeldRow[] = [];
  for (const r of consumerRows) {
    consumerGen.set(r.uuid, r.generation);
    if (r.resource_provider_id !== null) held.push({ consumer_id: r.uuid, resource_provider_id: r.resource_provider_id, resource_class: r.resource_class!, used: r.used! });
  }

  // What each (provider, class) gains: new amounts minus what these consumers held.
  const delta = new Map<string, number>();
  for (const h of held) delta.set(`${h.resource_provider_id}/${h.resource_class}`, (delta.get(`${h.resource_provider_id}/${h.resource_class}`) ?? 0) - h.used);
  checkCapacity(writes, byUuid, inventories, delta);
  for (const w of writes) checkConsumerGeneration(w, consumerGen.get(w.consumerUuid));

  const now = nowIso();
  const rows = allocationRows(writes, byUuid, now);
  if (ctx.postgres && held.length === 0 && rows.length > 0 && writes.every((w) => !consumerGen.has(w.consumerUuid) && Object.keys(w.allocations).length > 0)) {
    await writeNewConsumersAtOnce(trx, writes, rows, providers, delta, now);
    return providers;
  }
  if (held.length > 0) await trx.deleteFrom('placement_allocations').where('consumer_id', 'in', consumerUuids).execute();
  if (rows.length > 0) await trx.insertInto('placement_allocations').values(rows).execute();

  for (const w of writes) await saveConsumer(trx, w, consumerGen.get(w.consumerUuid), now);
  for (const p of providers) {
    await addUsage(trx, p.id, delta);
    try {
      await bumpGeneration(trx, p);
    } catch (err) {
      if (err instanceof ConcurrentUpdate) throw new LostRace();
      throw err;
    }
  }
  return providers;
}

/** One UPDATE per provider moves the kept usage of each class by its delta. */
async function addUsage(trx: Tx, providerId: number, delta: Map<string, number>): Promise<void> {
  const update = usageUpdate(trx, providerId, delta);
  if (update) await update.execute();
}

/** The UPDATE addUsage runs, or null when the provider's usage does not move. */
function usageUpdate(trx: Tx, providerId: number, delta: Map<string, number>) {
  const changes: [string, number][] = [];
  const prefix = `${providerId}/`;
  for (const [key, d] of delta) if (d !== 0 && key.startsWith(prefix)) changes.push([key.slice(prefix.length), d]);
  if (changes.length === 0) return null;
  const cases = sql.join(changes.map(([rc, d]) => sql`when ${rc} then cast(${d} as integer)`), sql` `);
  return trx.updateTable('placement_inventories')
    .set({ used: sql<number>`used + case resource_class ${cases} else 0 end` })
    .where('resource_provider_id', '=', providerId)
    .where('resource_class', 'in', changes.map(([rc]) => rc));
}

function allocationRows(writes: ConsumerWrite[], byUuid: Map<string, LockedProvider>, now: string): AllocationInsert[] {
  return writes.flatMap((w) => Object.entries(w.allocations).flatMap(([rpUuid, { resources }]) =>
    Object.entries(resources).map(([rc, used]) => ({
      consumer_id: w.consumerUuid, resource_provider_id: byUuid.get(rpUuid)!.id, resource_class: rc, used, created_at: now,
    }))));
}

/**
 * PostgreSQL, consumers that hold nothing yet (a scheduler's claim): the
 * generation swaps, the allocations, the consumers and the usage in one
 * statement of data-modifying CTEs, the writes made only when every swap hit
 * (LostRace otherwise, with nothing written). The rows go in as arrays, so the
 * statement's text is the same for any claim and is prepared once.
 */
async function writeNewConsumersAtOnce(db: Tx, writes: ConsumerWrite[], rows: AllocationInsert[], providers: LockedProvider[], delta: Map<string, number>, now: string): Promise<void> {
  const usage = [...delta].filter(([, d]) => d !== 0).map(([key, d]) => {
    const slash = key.indexOf('/');
    return { rp: Number(key.slice(0, slash)), rc: key.slice(slash + 1), d };
  });
  const { rows: [result] } = await sql<{ swapped: string }>`
    with swapped as (
      update placement_resource_providers p set generation = p.generation + 1, updated_at = ${now}
      from unnest(${providers.map((p) => p.id)}::integer[], ${providers.map((p) => p.generation)}::integer[]) as w(id, generation)
      where p.id = w.id and p.generation = w.generation
      returning p.id),
    every_swap as (select count(*) = ${providers.length} as hit from swapped),
    new_allocations as (
      insert into placement_allocations (consumer_id, resource_provider_id, resource_class, used, created_at)
      select a.consumer_id, a.rp, a.rc, a.used, ${now}
      from unnest(${rows.map((r) => r.consumer_id)}::text[], ${rows.map((r) => r.resource_provider_id)}::integer[],
        ${rows.map((r) => r.resource_class)}::text[], ${rows.map((r) => r.used)}::integer[]) as a(consumer_id, rp, rc, used)
      where (select hit from every_swap)
      returning 1),
    new_consumers as (
      insert into placement_consumers (uuid, project_id, user_id, consumer_type, generation, created_at, updated_at)
      select c.uuid, c.project_id, c.user_id, c.consumer_type, 1, ${now}, ${now}
      from unnest(${writes.map((w) => w.consumerUuid)}::text[], ${writes.map((w) => w.projectId)}::text[],
        ${writes.map((w) => w.userId)}::text[], ${writes.map((w) => w.consumerType ?? null)}::text[]) as c(uuid, project_id, user_id, consumer_type)
      where (select hit from every_swap)
      returning 1),
    new_usage as (
      update placement_inventories i set used = i.used + u.d
      from unnest(${usage.map((u) => u.rp)}::integer[], ${usage.map((u) => u.rc)}::text[], ${usage.map((u) => u.d)}::integer[]) as u(rp, rc, d)
      where i.resource_provider_id = u.rp and i.resource_class = u.rc and (select hit from every_swap)
      returning 1)
    select count(*) as swapped from swapped`.execute(db);
  if (Number(result.swapped) !== providers.length) throw new LostRace();
}

type InventoryWithUsage = {
  resource_provider_id: number; resource_class: string; total: number; reserved: number;
  min_unit: number; max_unit: number; step_size: number; allocation_ratio: number; used: number;
};

/** Checks every requested amount and adds it to `delta` (which arrives holding minus what is released). */
function checkCapacity(writes: ConsumerWrite[], byUuid: Map<string, LockedProvider>, inventories: InventoryWithUsage[], delta: Map<string, number>): void {
  const inv = new Map(inventories.map((i) => [`${i.resource_provider_id}/${i.resource_class}`, i]));
  for (const w of writes) {
    for (const [rpUuid, { resources }] of Object.entries(w.allocations)) {
      const rp = byUuid.get(rpUuid)!;
      for (const [rc, amount] of Object.entries(resources)) {
        const key = `${rp.id}/${rc}`;
        const i = inv.get(key);
        if (!i) {
          throw new Refused({ reason: 'capacity', detail: `Inventory for '${rc}' on resource provider '${rpUuid}' invalid.` });
        }
        if (amount < i.min_unit || amount > i.max_unit || amount % i.step_size !== 0) {
          throw new Refused({
            reason: 'constraint',
            detail: `Unable to allocate inventory: Allocation for ${rc} on resource provider ${rpUuid} violates min_unit, max_unit, or step_size.`,
          });
        }
        // Several consumers in one POST /allocations may draw on the same inventory.
        const change = (delta.get(key) ?? 0) + amount;
        delta.set(key, change);
        const capacity = capacityOf({ total: i.total, reserved: i.reserved, allocation_ratio: Number(i.allocation_ratio) });
        if (Number(i.used) + change > capacity) {
          throw new Refused({
            reason: 'capacity',
            detail: `Unable to allocate inventory: Unable to create allocation for '${rc}' on resource provider '${rpUuid}'. The requested amount would exceed the capacity.`,
          });
        }
      }
    }
  }
}

function checkConsumerGeneration(w: ConsumerWrite, current: number | undefined): void {
  if (w.consumerGeneration === undefined) return;
  if (w.consumerGeneration === null && current !== undefined) {
    throw new ConcurrentUpdate(`consumer generation conflict - expected null but got ${current}`);
  }
  if (w.consumerGeneration !== null && w.consumerGeneration !== current) {
    throw new ConcurrentUpdate(`consumer generation conflict - expected ${w.consumerGeneration} but got ${current ?? 'None'}`);
  }
}

async function saveConsumer(trx: Tx, w: ConsumerWrite, current: number | undefined, now: string): Promise<void> {
  const empty = Object.keys(w.allocations).length === 0;
  if (current === undefined) {
    if (empty) return;
    // A unique violation here means a concurrent writer created the consumer: the
    // transaction is retried and then sees it.
    await trx.insertInto('placement_consumers').values({
      uuid: w.consumerUuid, project_id: w.projectId, user_id: w.userId, consumer_type: w.consumerType ?? null,
      generation: 1, created_at: now, updated_at: now,
    }).execute();
    return;
  }
  if (empty) {
    await trx.deleteFrom('placement_consumers').where('uuid', '=', w.consumerUuid).execute();
    return;
  }
  const res = await trx.updateTable('placement_consumers')
    .set({
      project_id: w.projectId, user_id: w.userId, generation: current + 1, updated_at: now,
      ...(w.consumerType !== undefined ? { consumer_type: w.consumerType } : {}),
    })
    .where('uuid', '=', w.consumerUuid).where('generation', '=', current)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) throw new LostRace();
}

/** Remove everything a consumer holds; false when it held nothing. */
export async function deleteAllocations(ctx: PlacementContext, consumerUuid: string): Promise<boolean> {
  return withDbRetries(ctx, () => ctx.db.transaction().execute(async (trx) => {
    const held = trx.selectFrom('placement_allocations').select('resource_provider_id').where('consumer_id', '=', consumerUuid);
    // Bumping first takes the providers' row locks before the rows they guard change.
    await trx.updateTable('placement_resource_providers')
      .set((eb) => ({ generation: eb('generation', '+', 1), updated_at: nowIso() }))
      .where('id', 'in', held).execute();
    await trx.updateTable('placement_inventories as i')
      .set({ used: sql<number>`used - (select coalesce(sum(a.used), 0) from placement_allocations a where a.consumer_id = ${consumerUuid} and a.resource_provider_id = i.resource_provider_id and a.resource_class = i.resource_class)` })
      .where('i.resource_provider_id', 'in', held).execute();
    const res = await trx.deleteFrom('placement_allocations').where('consumer_id', '=', consumerUuid).executeTakeFirst();
    await trx.deleteFrom('placement_consumers').where('uuid', '=', consumerUuid).execute();
    return Number(res.numDeletedRows) > 0;
  }));
}

/** Runs `fn` again after a deadlock or serialization failure the database reported. */
async function withDbRetries<T>(ctx: PlacementContext, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= MAX_ATTEMPTS || !isRetryableDbError(err)) throw err;
      ctx.logger.debug({ attempt }, 'placement transaction hit a database conflict; retrying');
      await sleep(Math.random() * 5 * attempt);
    }
  }
}

export async function getAllocations(ctx: PlacementContext, consumerUuid: string): Promise<ConsumerAllocations> {
  const [rows, consumer] = await Promise.all([
    ctx.db.selectFrom('placement_allocations as a')
      .innerJoin('placement_resource_providers as p', 'p.id', 'a.resource_provider_id')
      .select(['p.uuid', 'p.generation', 'a.resource_class', 'a.used'])
      .where('a.consumer_id', '=', consumerUuid).orderBy('p.uuid').orderBy('a.resource_class').execute(),
    ctx.db.selectFrom('placement_consumers').selectAll().where('uuid', '=', consumerUuid).executeTakeFirst(),
  ]);
  const allocations: ConsumerAllocations['allocations'] = {};
  for (const r of rows) {
    const entry = (allocations[r.uuid] ??= { generation: r.generation, resources: {} });
    entry.resources[r.resource_class] = r.used;
  }
  if (!consumer || rows.length === 0) return { allocations };
  return {
    allocations, projectId: consumer.project_id, userId: consumer.user_id,
    consumerGeneration: consumer.generation, consumerType: consumer.consumer_type,
  };
}

export async function getProviderAllocations(ctx: PlacementContext, rpUuid: string): Promise<{ generation: number; allocations: Record<string, { resources: Record<string, number> }> }> {
  const rp = await ctx.db.selectFrom('placement_resource_providers').select(['id', 'generation']).where('uuid', '=', rpUuid).executeTakeFirst();
  if (!rp) throw new ProviderNotFound(rpUuid);
  const rows = await ctx.db.selectFrom('placement_allocations').select(['consumer_id', 'resource_class', 'used'])
    .where('resource_provider_id', '=', rp.id).orderBy('consumer_id').execute();
  const allocations: Record<string, { resources: Record<string, number> }> = {};
  for (const r of rows) (allocations[r.consumer_id] ??= { resources: {} }).resources[r.resource_class] = r.used;
  return { generation: rp.generation, allocations };
}

/** Every inventoried class with what is allocated of it (0 when nothing). */
export async function getProviderUsages(ctx: PlacementContext, rpUuid: string): Promise<{ generation: number; usages: Record<string, number> }> {
  const rp = await ctx.db.selectFrom('placement_resource_providers').select(['id', 'generation']).where('uuid', '=', rpUuid).executeTakeFirst();
  if (!rp) throw new ProviderNotFound(rpUuid);
  const rows = await ctx.db.selectFrom('placement_inventories as i')
    .select(['i.resource_class', 'i.used'])
    .where('i.resource_provider_id', '=', rp.id).orderBy('i.resource_class').execute();
  return { generation: rp.generation, usages: Object.fromEntries(rows.map((r) => [r.resource_class, Number(r.used)])) };
}

export interface TypedUsage { consumerType: string | null; consumerCount: number; usages: Record<string, number> }

/** A project's (and optionally one user's) usage per resource class, split by consumer type. */
export async function getProjectUsagesByType(ctx: PlacementContext, projectId: string, userId?: string): Promise<TypedUsage[]> {
  let q = ctx.db.selectFrom('placement_allocations as a')
    .innerJoin('placement_consumers as c', 'c.uuid', 'a.consumer_id')
    .select((eb) => ['c.consumer_type', 'a.resource_class', eb.fn.sum<number>('a.used').as('used')])
    .where('c.project_id', '=', projectId);
  if (userId !== undefined) q = q.where('c.user_id', '=', userId);
  const rows = await q.groupBy(['c.consumer_type', 'a.resource_class']).execute();
  const countQ = ctx.db.selectFrom('placement_consumers as c')
    .select(['c.consumer_type', sql<number>`count(*)`.as('n')])
    .where('c.project_id', '=', projectId);
  const counts = await (userId !== undefined ? countQ.where('c.user_id', '=', userId) : countQ).groupBy('c.consumer_type').execute();
  const byType = new Map<string | null, TypedUsage>();
  for (const c of counts) byType.set(c.consumer_type, { consumerType: c.consumer_type, consumerCount: Number(c.n), usages: {} });
  for (const r of rows) {
    const t = byType.get(r.consumer_type) ?? { consumerType: r.consumer_type, consumerCount: 0, usages: {} };
    t.usages[r.resource_class] = Number(r.used);
    byType.set(r.consumer_type, t);
  }
  return [...byType.values()];
}

export async function getProjectUsages(ctx: PlacementContext, projectId: string, userId?: string): Promise<Record<string, number>> {
  const total: Record<string, number> = {};
  for (const t of await getProjectUsagesByType(ctx, projectId, userId)) {
    for (const [rc, n] of Object.entries(t.usages)) total[rc] = (total[rc] ?? 0) + n;
  }
  return total;
}
