/** Resource providers: create, read, rename/re-parent, delete, list with filters. */
import { randomUUID } from 'node:crypto';
import { BadRequest, Conflict } from '../errors.js';
import { isUniqueViolation, nowIso } from '../db/schema-helpers.js';
import { DuplicateName, ErrorCodes, ProviderNotFound } from './errors.js';
import { lockProvider, toProvider, type PlacementContext } from './context.js';
import { aggregateConditions, andAll, capacityCondition, traitConditions, treeCondition } from './filters.js';
import type { ProviderListFilters, ResourceProvider } from './types.js';

export async function getProvider(ctx: PlacementContext, uuid: string): Promise<ResourceProvider | null> {
  const row = await ctx.db.selectFrom('placement_resource_providers')
    .select(['uuid', 'name', 'generation', 'parent_provider_uuid', 'root_provider_uuid'])
    .where('uuid', '=', uuid).executeTakeFirst();
  return row ? toProvider(row) : null;
}

export async function requireProvider(ctx: PlacementContext, uuid: string): Promise<ResourceProvider> {
  const rp = await getProvider(ctx, uuid);
  if (!rp) throw new ProviderNotFound(uuid);
  return rp;
}

export async function createProvider(ctx: PlacementContext, input: { uuid?: string; name: string; parentUuid?: string | null }): Promise<ResourceProvider> {
  const uuid = input.uuid ?? randomUUID();
  let root = uuid;
  const parentUuid = input.parentUuid ?? null;
  if (parentUuid !== null) {
    if (parentUuid === uuid) throw new BadRequest('Resource provider cannot be its own parent.');
    const parent = await getProvider(ctx, parentUuid);
    if (!parent) throw new BadRequest(`parent provider UUID does not exist: ${parentUuid}`);
    root = parent.rootProviderUuid;
  }
  const now = nowIso();
  try {
    await ctx.db.insertInto('placement_resource_providers').values({
      uuid, name: input.name, generation: 0, parent_provider_uuid: parentUuid, root_provider_uuid: root,
      created_at: now, updated_at: now,
    }).execute();
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const existing = await ctx.db.selectFrom('placement_resource_providers').select(['uuid', 'name'])
      .where((eb) => eb.or([eb('uuid', '=', uuid), eb('name', '=', input.name)])).executeTakeFirst();
    const which = existing?.uuid === uuid ? `uuid: ${uuid}` : `name: ${input.name}`;
    throw new DuplicateName(`Conflicting resource provider ${which} already exists.`);
  }
  return { uuid, name: input.name, generation: 0, parentProviderUuid: parentUuid, rootProviderUuid: root };
}

/** The provider, created when missing; a compute host calls this on every start. */
export async function ensureProvider(ctx: PlacementContext, input: { uuid: string; name: string; parentUuid?: string | null }): Promise<ResourceProvider> {
  const existing = await getProvider(ctx, input.uuid);
  if (existing) return existing;
  try {
    return await createProvider(ctx, input);
  } catch (err) {
    // Another host process may have created the same provider between our read and insert.
    const raced = await getProvider(ctx, input.uuid);
    if (raced) return raced;
    throw err;
  }
}

/**
 * Rename and/or re-parent. Before microversion 1.37 placement only lets a root
 * gain a parent; `allowReparent` opens moving and un-parenting too.
 */
export async function updateProvider(
  ctx: PlacementContext, uuid: string,
  input: { name: string; parentUuid?: string | null }, allowReparent: boolean,
): Promise<ResourceProvider> {
  return ctx.db.transaction().execute(async (trx) => {
    const rp = await lockProvider(ctx, trx, uuid);
    let parent = rp.parent_provider_uuid;
    let root = rp.root_provider_uuid;
    if (input.parentUuid !== undefined && input.parentUuid !== rp.parent_provider_uuid) {
      if (rp.parent_provider_uuid !== null && !allowReparent) {
        throw new BadRequest('Re-parenting a provider is not currently allowed.');
      }
      if (input.parentUuid === null) {
        if (!allowReparent) throw new BadRequest('Un-parenting a provider is not currently allowed.');
        parent = null;
        root = uuid;
      } else {
        const newParent = await trx.selectFrom('placement_resource_providers')
          .select(['uuid', 'root_provider_uuid']).where('uuid', '=', input.parentUuid).executeTakeFirst();
        if (!newParent) throw new BadRequest(`parent provider UUID does not exist: ${input.parentUuid}`);
        if (newParent.uuid === uuid || (await isDescendant(trx, newParent.uuid, uuid))) {
          throw new BadRequest('creating loop in the provider tree is not allowed.');
        }
        parent = newParent.uuid;
        root = newParent.root_provider_uuid;
      }
    }
    const now = nowIso();
    try {
      await trx.updateTable('placement_resource_providers')
        // Like placement, a rename or re-parent leaves the generation alone: it only
        // tracks inventories, traits, aggregates and allocations.
        .set({ name: input.name, parent_provider_uuid: parent, root_provider_uuid: root, updated_at: now })
        .where('id', '=', rp.id).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateName(`Conflicting resource provider name: ${input.name} already exists.`);
      throw err;
    }
    if (root !== rp.root_provider_uuid) await rerootSubtree(trx, uuid, root);
    return { uuid, name: input.name, generation: rp.generation, parentProviderUuid: parent, rootProviderUuid: root };
  });
}

type Reader = Parameters<typeof lockProvider>[1];

async function isDescendant(trx: Reader, candidate: string, ancestor: string): Promise<boolean> {
  let frontier = [ancestor];
  const seen = new Set(frontier);
  while (frontier.length > 0) {
    const children = await trx.selectFrom('placement_resource_providers').select('uuid')
      .where('parent_provider_uuid', 'in', frontier).execute();
    frontier = [];
    for (const c of children) {
      if (c.uuid === candidate) return true;
      if (!seen.has(c.uuid)) { seen.add(c.uuid); frontier.push(c.uuid); }
    }
  }
  return false;
}

async function rerootSubtree(trx: Reader, top: string, root: string): Promise<void> {
  let frontier = [top];
  while (frontier.length > 0) {
    const children = await trx.selectFrom('placement_resource_providers').select('uuid')
      .where('parent_provider_uuid', 'in', frontier).execute();
    frontier = children.map((c) => c.uuid);
    if (frontier.length > 0) {
      await trx.updateTable('placement_resource_providers').set({ root_provider_uuid: root })
        .where('uuid', 'in', frontier).execute();
    }
  }
}

/** Refused while the provider has allocations or children, as placement does. */
export async function deleteProvider(ctx: PlacementContext, uuid: string): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const rp = await lockProvider(ctx, trx, uuid);
    const [alloc, child] = await Promise.all([
      trx.selectFrom('placement_allocations').select('consumer_id').where('resource_provider_id', '=', rp.id).limit(1).executeTakeFirst(),
      trx.selectFrom('placement_resource_providers').select('uuid').where('parent_provider_uuid', '=', uuid).limit(1).executeTakeFirst(),
    ]);
    if (alloc) {
      throw new Conflict(`Unable to delete resource provider ${uuid}: Resource provider has allocations.`, { type: ErrorCodes.PROVIDER_IN_USE });
    }
    if (child) {
      throw new Conflict(`Unable to delete parent resource provider ${uuid}: It has child resource providers.`, { type: ErrorCodes.PROVIDER_CANNOT_DELETE_PARENT });
    }
    await trx.deleteFrom('placement_resource_providers').where('id', '=', rp.id).execute();
  });
}

export async function listProviders(ctx: PlacementContext, f: ProviderListFilters): Promise<ResourceProvider[]> {
  const conditions = [
    ...traitConditions(f.required),
    ...aggregateConditions(f.memberOf),
    ...treeCondition(f.inTree),
    ...Object.entries(f.resources ?? {}).map(([rc, n]) => capacityCondition(rc, n)),
  ];
  let q = ctx.db.selectFrom('placement_resource_providers as p')
    .select(['p.uuid', 'p.name', 'p.generation', 'p.parent_provider_uuid', 'p.root_provider_uuid'])
    .where(andAll(conditions));
  if (f.name !== undefined) q = q.where('p.name', '=', f.name);
  if (f.uuid !== undefined) q = q.where('p.uuid', '=', f.uuid);
  const rows = await q.orderBy('p.id').execute();
  return rows.map(toProvider);
}

