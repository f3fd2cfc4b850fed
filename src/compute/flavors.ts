/**
 * Flavors: the sizes servers are built with, their extra specs and, for
 * private flavors, the projects allowed to use them. Rows are hard-deleted, as
 * Nova's API database does; a server keeps its own copy of the flavor.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import { BadRequest, Conflict, NotFound } from '../errors.js';
import { isUniqueViolation, nowIso } from '../db/schema-helpers.js';
import type { ComputeDb, FlavorsTable } from './db/tables.js';
import { jsonRowsFrom, rowsOfJson } from '../db/json-rows.js';

export type FlavorRow = Selectable<FlavorsTable>;
export type FlavorWithSpecs = FlavorRow & { extra_specs: Record<string, string> };

/** Who is looking: non-admins see public flavors and the private ones shared with their project. */
export interface FlavorViewer {
  projectId: string;
  isAdmin: boolean;
}

/** Nova's legacy default flavors (the ones devstack and the docs still show). */
const DEFAULT_FLAVORS = [
  { flavorid: '1', name: 'm1.tiny', memory_mb: 512, vcpus: 1, root_gb: 1 },
  { flavorid: '2', name: 'm1.small', memory_mb: 2048, vcpus: 1, root_gb: 20 },
  { flavorid: '3', name: 'm1.medium', memory_mb: 4096, vcpus: 2, root_gb: 40 },
  { flavorid: '4', name: 'm1.large', memory_mb: 8192, vcpus: 4, root_gb: 80 },
  { flavorid: '5', name: 'm1.xlarge', memory_mb: 16384, vcpus: 8, root_gb: 160 },
] as const;

/** Creates the default flavors that are missing; running it again changes nothing. */
export async function bootstrapDefaultFlavors(db: ComputeDb): Promise<void> {
  const existing = await db.selectFrom('flavors').select(['flavorid', 'name']).execute();
  const taken = new Set(existing.flatMap((r) => [`id:${r.flavorid}`, `name:${r.name}`]));
  const missing = DEFAULT_FLAVORS.filter((f) => !taken.has(`id:${f.flavorid}`) && !taken.has(`name:${f.name}`));
  if (missing.length === 0) return;
  const now = nowIso();
  await db.insertInto('flavors')
    .values(missing.map((f) => ({
      ...f, ephemeral_gb: 0, swap: 0, rxtx_factor: 1, is_public: 1, disabled: 0, description: null, created_at: now, updated_at: null,
    })))
    // Another process bootstrapping at the same moment is not an error.
    .onConflict((oc) => oc.doNothing())
    .execute();
}

function notFound(flavorId: string): NotFound {
  return new NotFound(`Flavor ${flavorId} could not be found.`);
}

function visibleTo(viewer: FlavorViewer) {
  return (eb: any) => eb.or([
    eb('flavors.is_public', '=', 1),
    eb.exists(eb.selectFrom('flavor_projects')
      .select('flavor_projects.flavor_id')
      .whereRef('flavor_projects.flavor_id', '=', 'flavors.id')
      .where('flavor_projects.project_id', '=', viewer.projectId)),
  ]);
}

/** The query for a flavor by its API id, as `viewer` may see it. */
function flavorQuery(db: ComputeDb, flavorId: string, viewer?: FlavorViewer) {
  const q = db.selectFrom('flavors').selectAll('flavors').where('flavors.flavorid', '=', flavorId);
  return viewer && !viewer.isAdmin ? q.where(visibleTo(viewer)) : q;
}

/** A flavor by its API id, as `viewer` may see it; NotFound otherwise. */
export async function getFlavor(db: ComputeDb, flavorId: string, viewer?: FlavorViewer): Promise<FlavorRow> {
  const row = await flavorQuery(db, flavorId, viewer).executeTakeFirst();
  if (!row) throw notFound(flavorId);
  return normalize(row);
}

export async function getExtraSpecs(db: ComputeDb, flavorPk: number): Promise<Record<string, string>> {
  const rows = await db.selectFrom('flavor_extra_specs').select(['key', 'value']).where('flavor_id', '=', flavorPk).execute();
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

/** Extra specs of many flavors in one query (list views). */
export async function getExtraSpecsFor(db: ComputeDb, flavorPks: number[]): Promise<Map<number, Record<string, string>>> {
  const out = new Map<number, Record<string, string>>(flavorPks.map((id) => [id, {}]));
  if (flavorPks.length === 0) return out;
  const rows = await db.selectFrom('flavor_extra_specs').select(['flavor_id', 'key', 'value']).where('flavor_id', 'in', flavorPks).execute();
  for (const r of rows) out.get(r.flavor_id)![r.key] = r.value;
  return out;
}

/**
 * The flavor a server is booted with. A private flavor the project has no
 * access to does not exist for it; a disabled flavor cannot be booted.
 */
export async function getFlavorForBoot(
  db: ComputeDb, flavorRef: string, projectId: string, opts: { isAdmin?: boolean } = {},
): Promise<FlavorWithSpecs> {
  // With its extra specs in the same statement: this is every server create's first read.
  const row = await flavorQuery(db, flavorRef, { projectId, isAdmin: opts.isAdmin ?? false })
    .select((eb) => jsonRowsFrom(db, eb.selectFrom('flavor_extra_specs').select(['key', 'value']).whereRef('flavor_extra_specs.flavor_id', '=', 'flavors.id')).as('extra_spec_rows'))
    .executeTakeFirst();
  if (!row) throw notFound(flavorRef);
  const { extra_spec_rows: specRows, ...flavor } = row;
  if (flavor.disabled) throw new BadRequest(`Flavor ${flavorRef} could not be found.`);
  return { ...normalize(flavor), extra_specs: Object.fromEntries(rowsOfJson(specRows).map((r) => [r.key, r.value])) };
}

export const FLAVOR_SORT_KEYS = [
  'created_at', 'description', 'disabled', 'ephemeral_gb', 'flavorid', 'id', 'is_public', 'memory_mb', 'name',
  'root_gb', 'rxtx_factor', 'swap', 'updated_at', 'vcpu_weight', 'vcpus',
] as const;
export type FlavorSortKey = (typeof FLAVOR_SORT_KEYS)[number];

export interface FlavorListOptions {
  /** true: public only (plus shared private ones for non-admins); false: private only; null: all (admin). */
  isPublic: boolean | null;
  /** Non-admins never list disabled flavors. */
  includeDisabled: boolean;
  minRam?: number;
  minDisk?: number;
  sortKey: FlavorSortKey;
  sortDir: 'asc' | 'desc';
  limit: number;
  marker?: string;
}

const NULLABLE_SORT_KEYS = new Set<string>(['description', 'updated_at']);
const TEXT_SORT_KEYS = new Set<string>(['created_at', 'description', 'flavorid', 'name', 'updated_at']);

function sortExpr(key: FlavorSortKey) {
  // vcpu_weight is one of Nova's accepted sort keys but not a column here; it sorts like id.
  const column = key === 'vcpu_weight' ? 'id' : key;
  if (NULLABLE_SORT_KEYS.has(column)) return sql`coalesce(${sql.ref(`flavors.${column}`)}, '')`;
  return sql.ref(`flavors.${column}`);
}

/** Flavors as Nova lists them: filters, then keyset pagination over (sort key, id). */
export async function listFlavors(db: ComputeDb, viewer: FlavorViewer, opts: FlavorListOptions): Promise<FlavorRow[]> {
  let q = db.selectFrom('flavors').selectAll('flavors');
  if (opts.isPublic === true) {
    q = viewer.isAdmin ? q.where('flavors.is_public', '=', 1) : q.where(visibleTo(viewer));
  } else if (opts.isPublic === false) {
    q = q.where('flavors.is_public', '=', 0);
    if (!viewer.isAdmin) q = q.where(visibleTo(viewer));
  } else if (!viewer.isAdmin) {
    q = q.where(visibleTo(viewer));
  }
  if (!opts.includeDisabled) q = q.where('flavors.disabled', '=', 0);
  if (opts.minRam !== undefined) q = q.where('flavors.memory_mb', '>=', opts.minRam);
  if (opts.minDisk !== undefined) q = q.where('flavors.root_gb', '>=', opts.minDisk);

  const key = sortExpr(opts.sortKey);
  const cmp = opts.sortDir === 'asc' ? '>' : '<';
  if (opts.marker !== undefined) {
    let mq = db.selectFrom('flavors').selectAll('flavors').where('flavors.flavorid', '=', opts.marker);
    if (!viewer.isAdmin) mq = mq.where(visibleTo(viewer));
    const marker = await mq.executeTakeFirst();
    if (!marker) throw new BadRequest(`marker [${opts.marker}] not found`);
    const column = opts.sortKey === 'vcpu_weight' ? 'id' : opts.sortKey;
    let markerValue = (marker as Record<string, unknown>)[column];
    if (NULLABLE_SORT_KEYS.has(column)) markerValue ??= '';
    const mv = TEXT_SORT_KEYS.has(column) ? sql`${String(markerValue)}` : sql`${markerValue}`;
    q = q.where((eb) => eb.or([
      eb(key as any, cmp, mv),
      eb.and([eb(key as any, '=', mv), eb('flavors.id', cmp, marker.id)]),
    ]));
  }
  const rows = await q
    .orderBy(key as any, opts.sortDir)
    .orderBy('flavors.id', opts.sortDir)
    .limit(opts.limit)
    .execute();
  return rows.map(normalize);
}

export interface NewFlavor {
  name: string;
  flavorid?: string | null;
  memory_mb: number;
  vcpus: number;
  root_gb: number;
  ephemeral_gb?: number;
  swap?: number;
  rxtx_factor?: number;
  is_public?: boolean;
  description?: string | null;
}

export async function createFlavor(db: ComputeDb, f: NewFlavor): Promise<FlavorRow> {
  const flavorid = f.flavorid ? String(f.flavorid) : randomUUID();
  const name = f.name.trim();
  const values = {
    flavorid, name, memory_mb: f.memory_mb, vcpus: f.vcpus, root_gb: f.root_gb,
    ephemeral_gb: f.ephemeral_gb ?? 0, swap: f.swap ?? 0, rxtx_factor: f.rxtx_factor ?? 1,
    is_public: f.is_public === false ? 0 : 1, disabled: 0, description: f.description ?? null,
    created_at: nowIso(), updated_at: null,
  };
  try {
    const row = await db.insertInto('flavors').values(values).returningAll().executeTakeFirstOrThrow();
    return normalize(row);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const clash = await db.selectFrom('flavors').select(['flavorid', 'name'])
      .where((eb) => eb.or([eb('flavorid', '=', flavorid), eb('name', '=', name)])).execute();
    if (clash.some((c) => c.flavorid === flavorid)) throw new Conflict(`Flavor with ID ${flavorid} already exists.`);
    throw new Conflict(`Flavor with name ${name} already exists.`);
  }
}

export async function deleteFlavor(db: ComputeDb, flavorId: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const row = await tx.selectFrom('flavors').select('id').where('flavorid', '=', flavorId).executeTakeFirst();
    if (!row) throw notFound(flavorId);
    await tx.deleteFrom('flavor_extra_specs').where('flavor_id', '=', row.id).execute();
    await tx.deleteFrom('flavor_projects').where('flavor_id', '=', row.id).execute();
    await tx.deleteFrom('flavors').where('id', '=', row.id).execute();
  });
}

export async function updateFlavorDescription(db: ComputeDb, flavorId: string, description: string | null): Promise<FlavorRow> {
  const row = await db.updateTable('flavors')
    .set({ description, updated_at: nowIso() })
    .where('flavorid', '=', flavorId)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound(flavorId);
  return normalize(row);
}

/** Adds or replaces the given extra specs in one statement. */
export async function setExtraSpecs(db: ComputeDb, flavorPk: number, specs: Record<string, string>): Promise<void> {
  const entries = Object.entries(specs);
  if (entries.length === 0) return;
  await db.insertInto('flavor_extra_specs')
    .values(entries.map(([key, value]) => ({ flavor_id: flavorPk, key, value })))
    .onConflict((oc) => oc.columns(['flavor_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
    .execute();
}

export async function deleteExtraSpec(db: ComputeDb, flavor: FlavorRow, key: string): Promise<void> {
  const res = await db.deleteFrom('flavor_extra_specs').where('flavor_id', '=', flavor.id).where('key', '=', key).executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) {
    throw new NotFound(`Flavor ${flavor.flavorid} has no extra specs with key ${key}.`);
  }
}

export async function listFlavorProjects(db: ComputeDb, flavorPk: number): Promise<string[]> {
  const rows = await db.selectFrom('flavor_projects').select('project_id').where('flavor_id', '=', flavorPk)
    .orderBy('project_id').execute();
  return rows.map((r) => r.project_id);
}

export async function addFlavorAccess(db: ComputeDb, flavor: FlavorRow, projectId: string): Promise<void> {
  try {
    await db.insertInto('flavor_projects').values({ flavor_id: flavor.id, project_id: projectId }).execute();
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    throw new Conflict(`Flavor access already exists for flavor ${flavor.flavorid} and project ${projectId} combination.`);
  }
}

export async function removeFlavorAccess(db: ComputeDb, flavor: FlavorRow, projectId: string): Promise<void> {
  const res = await db.deleteFrom('flavor_projects').where('flavor_id', '=', flavor.id).where('project_id', '=', projectId)
    .executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) {
    throw new NotFound(`Flavor access not found for ${flavor.flavorid} / ${projectId} combination.`);
  }
}

/** Both drivers agree on numbers only once coerced (pg may hand back numeric text). */
function normalize(row: FlavorRow): FlavorRow {
  return { ...row, id: Number(row.id), rxtx_factor: Number(row.rxtx_factor) };
}
