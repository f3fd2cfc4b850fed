/**
 * The catalog of resource classes and traits: standard ones from code, custom
 * ones (CUSTOM_*) from rows.
 */
import { BadRequest, Conflict, NotFound } from '../errors.js';
import { isUniqueViolation, nowIso } from '../db/schema-helpers.js';
import { DuplicateName } from './errors.js';
import type { PlacementContext } from './context.js';
import { isStandardResourceClass, isStandardTrait, STANDARD_RESOURCE_CLASSES, STANDARD_TRAITS } from './standard.js';

export async function listResourceClasses(ctx: PlacementContext): Promise<string[]> {
  const custom = await ctx.db.selectFrom('placement_resource_classes').select('name').orderBy('id').execute();
  return [...STANDARD_RESOURCE_CLASSES, ...custom.map((r) => r.name)];
}

export async function resourceClassExists(ctx: PlacementContext, name: string): Promise<boolean> {
  if (isStandardResourceClass(name)) return true;
  const row = await ctx.db.selectFrom('placement_resource_classes').select('id').where('name', '=', name).executeTakeFirst();
  return row !== undefined;
}

/** The names among `names` that are neither standard nor created. */
export async function unknownResourceClasses(ctx: PlacementContext, names: Iterable<string>): Promise<string[]> {
  const custom = [...new Set(names)].filter((n) => !isStandardResourceClass(n));
  if (custom.length === 0) return [];
  const rows = await ctx.db.selectFrom('placement_resource_classes').select('name').where('name', 'in', custom).execute();
  const known = new Set(rows.map((r) => r.name));
  return custom.filter((n) => !known.has(n));
}

export async function createResourceClass(ctx: PlacementContext, name: string): Promise<void> {
  if (isStandardResourceClass(name)) throw new DuplicateName(`Conflicting resource class already exists: ${name}`);
  try {
    await ctx.db.insertInto('placement_resource_classes').values({ name, created_at: nowIso() }).execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw new DuplicateName(`Conflicting resource class already exists: ${name}`);
    throw err;
  }
}

/** Create unless present; true when it was created. */
export async function ensureResourceClass(ctx: PlacementContext, name: string): Promise<boolean> {
  if (await resourceClassExists(ctx, name)) return false;
  try {
    await createResourceClass(ctx, name);
    return true;
  } catch (err) {
    if (err instanceof DuplicateName) return false;
    throw err;
  }
}

/** Microversions 1.2–1.6 rename a custom class in place. */
export async function renameResourceClass(ctx: PlacementContext, from: string, to: string): Promise<void> {
  if (isStandardResourceClass(from)) throw new BadRequest(`Cannot update standard resource class ${from}`);
  await ctx.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('placement_resource_classes').select('id').where('name', '=', from).executeTakeFirst();
    if (!row) throw new NotFound(`No such resource class ${from}.`);
    if (isStandardResourceClass(to)) throw new DuplicateName(`Resource class already exists: ${to}`);
    try {
      await trx.updateTable('placement_resource_classes').set({ name: to }).where('id', '=', row.id).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateName(`Resource class already exists: ${to}`);
      throw err;
    }
    await trx.updateTable('placement_inventories').set({ resource_class: to }).where('resource_class', '=', from).execute();
    await trx.updateTable('placement_allocations').set({ resource_class: to }).where('resource_class', '=', from).execute();
  });
}

export async function deleteResourceClass(ctx: PlacementContext, name: string): Promise<void> {
  if (isStandardResourceClass(name)) throw new BadRequest(`Cannot delete standard resource class ${name}: standard classes are not deletable.`);
  await ctx.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('placement_resource_classes').select('id').where('name', '=', name).executeTakeFirst();
    if (!row) throw new NotFound(`No such resource class ${name}.`);
    const inv = await trx.selectFrom('placement_inventories').select('resource_provider_id').where('resource_class', '=', name).limit(1).executeTakeFirst();
    if (inv) throw new Conflict(`Unable to delete resource class ${name}. Class is in use in inventory.`);
    await trx.deleteFrom('placement_resource_classes').where('id', '=', row.id).execute();
  });
}

export interface TraitListFilters {
  /** Exact names (name=in:A,B). */
  names?: string[];
  /** Name prefix (name=startswith:X). */
  prefix?: string;
  /** true: only traits some provider has; false: only traits none has. */
  associated?: boolean;
}

export async function listTraits(ctx: PlacementContext, f: TraitListFilters = {}): Promise<string[]> {
  const [custom, associatedRows] = await Promise.all([
    ctx.db.selectFrom('placement_traits').select('name').execute(),
    f.associated === undefined ? Promise.resolve([]) : ctx.db.selectFrom('placement_provider_traits').select('trait').distinct().execute(),
  ]);
  let names = [...STANDARD_TRAITS, ...custom.map((r) => r.name)];
  if (f.names) { const wanted = new Set(f.names); names = names.filter((n) => wanted.has(n)); }
  if (f.prefix !== undefined) names = names.filter((n) => n.startsWith(f.prefix!));
  if (f.associated !== undefined) {
    const associated = new Set(associatedRows.map((r) => r.trait));
    names = names.filter((n) => associated.has(n) === f.associated);
  }
  return names.sort();
}

export async function traitExists(ctx: PlacementContext, name: string): Promise<boolean> {
  if (isStandardTrait(name)) return true;
  const row = await ctx.db.selectFrom('placement_traits').select('id').where('name', '=', name).executeTakeFirst();
  return row !== undefined;
}

export async function unknownTraits(ctx: PlacementContext, names: Iterable<string>): Promise<string[]> {
  const custom = [...new Set(names)].filter((n) => !isStandardTrait(n));
  if (custom.length === 0) return [];
  const rows = await ctx.db.selectFrom('placement_traits').select('name').where('name', 'in', custom).execute();
  const known = new Set(rows.map((r) => r.name));
  return custom.filter((n) => !known.has(n));
}

/** Create a custom trait unless present; true when it was created. */
export async function ensureTrait(ctx: PlacementContext, name: string): Promise<boolean> {
  if (await traitExists(ctx, name)) return false;
  try {
    await ctx.db.insertInto('placement_traits').values({ name, created_at: nowIso() }).execute();
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

export async function deleteTrait(ctx: PlacementContext, name: string): Promise<void> {
  if (isStandardTrait(name)) throw new BadRequest(`Cannot delete standard trait ${name}.`);
  await ctx.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('placement_traits').select('id').where('name', '=', name).executeTakeFirst();
    if (!row) throw new NotFound(`No such trait(s): ${name}.`);
    const used = await trx.selectFrom('placement_provider_traits').select('resource_provider_id').where('trait', '=', name).limit(1).executeTakeFirst();
    if (used) throw new Conflict(`The trait ${name} is in use by a resource provider.`);
    await trx.deleteFrom('placement_traits').where('id', '=', row.id).execute();
  });
}
