/**
 * Inventories: what a provider has of each resource class. Every change is a
 * read-modify-write of the provider's whole inventory under its generation,
 * and never leaves less capacity than is already allocated.
 */
import { BadRequest, Conflict, NotFound } from '../errors.js';
import { nowIso } from '../db/schema-helpers.js';
import { bumpGeneration, capacityOf, checkGeneration, lockProvider, type PlacementContext } from './context.js';
import { InventoryInUse, ProviderNotFound } from './errors.js';
import { unknownResourceClasses } from './catalog.js';
import { MAX_INT } from './standard.js';
import type { Inventory, InventoryInput, ProviderInventories } from './types.js';

export interface InventoryRules {
  /** Microversion 1.26 lets reserved equal total (a fully reserved provider). */
  allowReservedEqualTotal?: boolean;
}

export function normalizeInventory(rc: string, rpUuid: string, input: InventoryInput, rules: InventoryRules = {}): Inventory {
  const inv: Inventory = {
    total: input.total,
    reserved: input.reserved ?? 0,
    min_unit: input.min_unit ?? 1,
    max_unit: input.max_unit ?? MAX_INT,
    step_size: input.step_size ?? 1,
    allocation_ratio: input.allocation_ratio ?? 1.0,
  };
  const ints: [keyof Inventory, number][] = [['total', 1], ['reserved', 0], ['min_unit', 1], ['max_unit', 1], ['step_size', 1]];
  for (const [field, min] of ints) {
    const v = inv[field];
    if (!Number.isInteger(v) || v < min || v > MAX_INT) {
      throw new BadRequest(`Invalid inventory for ${rc} on resource provider ${rpUuid}: ${field} must be an integer from ${min} to ${MAX_INT}.`);
    }
  }
  if (typeof inv.allocation_ratio !== 'number' || !Number.isFinite(inv.allocation_ratio) || inv.allocation_ratio <= 0) {
    throw new BadRequest(`Invalid inventory for ${rc} on resource provider ${rpUuid}: allocation_ratio must be a positive number.`);
  }
  const reservedTooBig = (rules.allowReservedEqualTotal ?? true) ? inv.reserved > inv.total : inv.reserved >= inv.total;
  if (reservedTooBig) {
    throw new BadRequest(`Unable to update inventory for resource provider ${rpUuid}: Invalid inventory for '${rc}'. The reserved value is greater than total.`);
  }
  if (inv.min_unit > inv.max_unit) {
    throw new BadRequest(`Unable to update inventory for resource provider ${rpUuid}: Invalid inventory for '${rc}'. min_unit is greater than max_unit.`);
  }
  return inv;
}

export async function getInventories(ctx: PlacementContext, uuid: string): Promise<ProviderInventories> {
  const rp = await ctx.db.selectFrom('placement_resource_providers').select(['id', 'generation']).where('uuid', '=', uuid).executeTakeFirst();
  if (!rp) throw new ProviderNotFound(uuid);
  const rows = await ctx.db.selectFrom('placement_inventories')
    .select(['resource_class', 'total', 'reserved', 'min_unit', 'max_unit', 'step_size', 'allocation_ratio'])
    .where('resource_provider_id', '=', rp.id).orderBy('resource_class').execute();
  const inventories: Record<string, Inventory> = {};
  for (const r of rows) inventories[r.resource_class] = rowToInventory(r);
  return { generation: rp.generation, inventories };
}

function rowToInventory(r: Inventory & { used?: number }): Inventory {
  return {
    total: r.total, reserved: r.reserved, min_unit: r.min_unit, max_unit: r.max_unit,
    step_size: r.step_size, allocation_ratio: Number(r.allocation_ratio),
  };
}

/**
 * Replace the inventory with what `change` makes of the current one, under the
 * provider's generation (checked when given) and refusing to take away what
 * is allocated.
 */
export async function changeInventories(
  ctx: PlacementContext, uuid: string, generation: number | undefined,
  change: (current: Record<string, Inventory>) => Record<string, InventoryInput>, rules: InventoryRules = {},
): Promise<ProviderInventories> {
  const result = await ctx.db.transaction().execute(async (trx) => {
    const rp = await lockProvider(ctx, trx, uuid);
    checkGeneration(rp, generation);
    const [rows, usageRows] = await Promise.all([
      trx.selectFrom('placement_inventories')
        .select(['resource_class', 'total', 'reserved', 'min_unit', 'max_unit', 'step_size', 'allocation_ratio'])
        .where('resource_provider_id', '=', rp.id).execute(),
      trx.selectFrom('placement_allocations').select((eb) => ['resource_class', eb.fn.sum<number>('used').as('used')])
        .where('resource_provider_id', '=', rp.id).groupBy('resource_class').execute(),
    ]);
    const current: Record<string, Inventory> = {};
    for (const r of rows) current[r.resource_class] = rowToInventory(r);
    const next: Record<string, Inventory> = {};
    for (const [rc, input] of Object.entries(change(current))) next[rc] = normalizeInventory(rc, uuid, input, rules);

    const unknown = await unknownResourceClasses({ ...ctx, db: trx }, Object.keys(next));
    if (unknown.length > 0) throw new BadRequest(`Unknown resource class in inventory for resource provider ${uuid}: ${unknown.join(', ')}`);

    for (const u of usageRows) {
      const used = Number(u.used);
      if (used <= 0) continue;
      const inv = next[u.resource_class];
      if (!inv) {
        throw new InventoryInUse(`Inventory for '${u.resource_class}' on resource provider '${uuid}' in use.`);
      }
      if (capacityOf(inv) < used) {
        throw new InventoryInUse(`Unable to update inventory for resource provider ${uuid}: capacity of '${u.resource_class}' would be ${capacityOf(inv)}, below the ${used} already allocated.`);
      }
    }

    const now = nowIso();
    await trx.deleteFrom('placement_inventories').where('resource_provider_id', '=', rp.id).execute();
    const usedBy = new Map(usageRows.map((u) => [u.resource_class, Number(u.used)]));
    const values = Object.entries(next).map(([rc, inv]) => ({
      resource_provider_id: rp.id, resource_class: rc, ...inv, used: usedBy.get(rc) ?? 0, created_at: now, updated_at: now,
    }));
    if (values.length > 0) await trx.insertInto('placement_inventories').values(values).execute();
    const gen = await bumpGeneration(trx, rp);
    return { generation: gen, inventories: next };
  });
  return { generation: result.generation, inventories: sortKeys(result.inventories) };
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function setInventories(ctx: PlacementContext, uuid: string, inventories: Record<string, InventoryInput>, generation?: number, rules?: InventoryRules): Promise<ProviderInventories> {
  return changeInventories(ctx, uuid, generation, () => inventories, rules);
}

/** POST one class: refused when the provider already has inventory of it. */
export function addInventory(ctx: PlacementContext, uuid: string, rc: string, input: InventoryInput, generation?: number, rules?: InventoryRules): Promise<ProviderInventories> {
  return changeInventories(ctx, uuid, generation, (current) => {
    if (Object.hasOwn(current, rc)) throw new Conflict(`Update conflict: Inventory for '${rc}' on resource provider '${uuid}' already exists.`);
    return { ...current, [rc]: input };
  }, rules);
}

/** PUT one class: like placement, only an existing class can be updated this way. */
export function updateInventory(ctx: PlacementContext, uuid: string, rc: string, input: InventoryInput, generation?: number, rules?: InventoryRules): Promise<ProviderInventories> {
  return changeInventories(ctx, uuid, generation, (current) => {
    if (!Object.hasOwn(current, rc)) throw new BadRequest(`No inventory record with resource class ${rc} for resource provider ${uuid}.`);
    return { ...current, [rc]: input };
  }, rules);
}

export function deleteInventory(ctx: PlacementContext, uuid: string, rc: string, generation?: number): Promise<ProviderInventories> {
  return changeInventories(ctx, uuid, generation, (current) => {
    if (!Object.hasOwn(current, rc)) throw new NotFound(`No inventory of class ${rc} found for delete`);
    const { [rc]: _gone, ...rest } = current;
    return rest;
  });
}

export function deleteAllInventories(ctx: PlacementContext, uuid: string, generation?: number): Promise<ProviderInventories> {
  return changeInventories(ctx, uuid, generation, () => ({}));
}
