/**
 * The image service's data layer: images with their properties and tags, on
 * SQLite and PostgreSQL alike. It knows nothing of policy; the service decides
 * who may do what, and passes the viewer in only where visibility shapes a query.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { isUniqueViolation, nowIso } from '../../db/schema-helpers.js';
import { jsonRowsFrom, rowsOfJson } from '../../db/json-rows.js';
import type { Image, ImageStatus, Visibility } from '../model.js';
import type { MemberStatus } from '../member-model.js';
import type { ImageDb, ImagesTable, ImageTables } from './tables.js';

export type SortKey = 'name' | 'status' | 'container_format' | 'disk_format' | 'size' | 'id' | 'created_at' | 'updated_at';
export const SORT_KEYS: readonly SortKey[] = ['name', 'status', 'container_format', 'disk_format', 'size', 'id', 'created_at', 'updated_at'];
export type SortDir = 'asc' | 'desc';

export type ListFilter =
  | { kind: 'in'; column: 'id' | 'name' | 'status' | 'disk_format' | 'container_format'; values: string[] }
  | { kind: 'eq'; column: 'owner' | 'checksum' | 'os_hash_value' | 'os_hash_algo' | 'min_disk' | 'min_ram' | 'protected' | 'os_hidden'; value: string | number }
  | { kind: 'compare'; column: 'size' | 'created_at' | 'updated_at'; op: '=' | '<>' | '<' | '<=' | '>' | '>='; value: string | number }
  | { kind: 'property'; name: string; value: string }
  | { kind: 'tag'; value: string };

export interface Viewer {
  projectId: string;
  isAdmin: boolean;
}

export interface ListSpec {
  viewer: Viewer;
  /** Absent: Glance's default view (community images only when owned). */
  visibility?: Visibility | 'all';
  /**
   * Which of the viewer's memberships bring other projects' shared images into
   * the list (Glance's member_status; 'accepted' when absent). Admins see every
   * image whatever their memberships.
   */
  memberStatus?: MemberStatus | 'all';
  filters: ListFilter[];
  /** Sort keys in order; the repository appends created_at and id so pages are stable. */
  sort: { key: SortKey; dir: SortDir }[];
  limit: number;
  marker?: Image;
}

/** The columns an update may set (never id, owner is admin-only and checked above). */
export type ImageColumnChanges = Partial<Omit<ImagesTable, 'id' | 'created_at' | 'deleted' | 'deleted_at'>>;

type Eb = ExpressionBuilder<ImageTables, 'images'>;

function sortExpression(key: SortKey): Expression<unknown> {
  // NULLs sort first on SQLite and last on PostgreSQL; coalescing makes both
  // dialects order (and paginate) the nullable keys the same way.
  switch (key) {
    case 'name': case 'disk_format': case 'container_format':
      return sql`coalesce(${sql.ref(`images.${key}`)}, '')`;
    case 'size':
      return sql`coalesce(${sql.ref('images.size')}, -1)`;
    default:
      return sql.ref(`images.${key}`);
  }
}

function sortValue(image: Image, key: SortKey): unknown {
  switch (key) {
    case 'name': case 'disk_format': case 'container_format':
      return image[key] ?? '';
    case 'size':
      return image.size ?? -1;
    default:
      return image[key];
  }
}

function rowToImage(row: ImagesTable, properties: Record<string, string>, tags: string[]): Image {
  return {
    id: row.id,
    name: row.name,
    status: row.status as ImageStatus,
    visibility: row.visibility as Visibility,
    owner: row.owner,
    disk_format: row.disk_format,
    container_format: row.container_format,
    size: row.size === null ? null : Number(row.size),
    virtual_size: row.virtual_size === null ? null : Number(row.virtual_size),
    checksum: row.checksum,
    os_hash_algo: row.os_hash_algo,
    os_hash_value: row.os_hash_value,
    min_disk: Number(row.min_disk),
    min_ram: Number(row.min_ram),
    protected: Number(row.protected) === 1,
    os_hidden: Number(row.os_hidden) === 1,
    created_at: row.created_at,
    updated_at: row.updated_at,
    properties,
    tags,
  };
}

export function imageToRow(image: Image): ImagesTable {
  return {
    id: image.id,
    name: image.name,
    status: image.status,
    visibility: image.visibility,
    owner: image.owner,
    disk_format: image.disk_format,
    container_format: image.container_format,
    size: image.size,
    virtual_size: image.virtual_size,
    checksum: image.checksum,
    os_hash_algo: image.os_hash_algo,
    os_hash_value: image.os_hash_value,
    min_disk: image.min_disk,
    min_ram: image.min_ram,
    protected: image.protected ? 1 : 0,
    os_hidden: image.os_hidden ? 1 : 0,
    created_at: image.created_at,
    updated_at: image.updated_at,
    deleted_at: null,
    deleted: 0,
  };
}

export class ImageRepository {
  constructor(private readonly db: ImageDb) {}

  /** Insert an image with its properties and tags, all or nothing. Throws on a duplicate id. */
  async insert(image: Image): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('images').values(imageToRow(image)).execute();
      const props = Object.entries(image.properties).map(([name, value]) => ({ image_id: image.id, name, value }));
      if (props.length > 0) await trx.insertInto('image_properties').values(props).execute();
      if (image.tags.length > 0) {
        await trx.insertInto('image_tags').values(image.tags.map((value) => ({ image_id: image.id, value }))).execute();
      }
    });
  }

  /** The live (not deleted) image, or undefined. */
  async get(id: string): Promise<Image | undefined> {
    // One statement, properties and tags included: every server create reads its image.
    const found = await this.db.selectFrom('images').selectAll('images')
      .select((eb) => [
        jsonRowsFrom(this.db, eb.selectFrom('image_properties').select(['name', 'value']).whereRef('image_properties.image_id', '=', 'images.id')).as('property_rows'),
        jsonRowsFrom(this.db, eb.selectFrom('image_tags').select('value').whereRef('image_tags.image_id', '=', 'images.id').orderBy('value')).as('tag_rows'),
      ])
      .where('id', '=', id).where('deleted', '=', 0).executeTakeFirst();
    if (!found) return undefined;
    const { property_rows: props, tag_rows: tags, ...row } = found;
    return rowToImage(row, Object.fromEntries(rowsOfJson(props).map((p) => [p.name, p.value])), rowsOfJson(tags).map((t) => t.value));
  }

  /** True when an image row (live or deleted) has this id: ids are never reused. */
  async idTaken(id: string): Promise<boolean> {
    const row = await this.db.selectFrom('images').select('id').where('id', '=', id).executeTakeFirst();
    return row !== undefined;
  }

  async list(spec: ListSpec): Promise<Image[]> {
    const sort = [...spec.sort];
    const defaultDir = sort.length > 0 ? sort[sort.length - 1]!.dir : 'desc';
    for (const key of ['created_at', 'id'] as const) {
      if (!sort.some((s) => s.key === key)) sort.push({ key, dir: defaultDir });
    }
    let query = this.db.selectFrom('images').selectAll()
      .where('deleted', '=', 0)
      .where('status', '<>', 'killed')
      .where((eb) => this.visibilityClause(eb, spec));
    for (const filter of spec.filters) query = query.where((eb) => this.filterClause(eb, filter));
    const marker = spec.marker;
    if (marker) query = query.where((eb) => this.afterMarker(eb, sort, marker));
    for (const s of sort) query = query.orderBy(sortExpression(s.key), s.dir);
    const rows = await query.limit(spec.limit).execute();
    return this.hydrate(rows);
  }

  private visibilityClause(eb: Eb, spec: ListSpec): Expression<SqlBool> {
    const { viewer, visibility } = spec;
    const conds: Expression<SqlBool>[] = [];
    if (visibility !== undefined && visibility !== 'all') conds.push(eb('visibility', '=', visibility));
    if (!viewer.isAdmin) {
      // A project sees public and community images, its own, and the shared
      // images it is a member of with the asked-for status.
      const status = spec.memberStatus ?? 'accepted';
      let membership = eb.selectFrom('image_members as m').select(sql.lit(1).as('one'))
        .whereRef('m.image_id', '=', 'images.id').where('m.member_id', '=', viewer.projectId);
      if (status !== 'all') membership = membership.where('m.status', '=', status);
      conds.push(eb.or([
        eb('visibility', 'in', ['public', 'community']),
        eb('owner', '=', viewer.projectId),
        eb.and([eb('visibility', '=', 'shared'), eb.exists(membership)]),
      ]));
    }
    if (visibility === undefined) {
      // Glance's default list leaves out other projects' community images.
      conds.push(eb.or([eb('visibility', '<>', 'community'), eb('owner', '=', viewer.projectId)]));
    }
    return eb.and(conds);
  }

  private filterClause(eb: Eb, f: ListFilter): Expression<SqlBool> {
    switch (f.kind) {
      case 'in':
        return f.values.length === 0 ? sql<SqlBool>`1 = 0` : eb(f.column, 'in', f.values);
      case 'eq':
        return eb(f.column, '=', f.value as never);
      case 'compare':
        return eb(f.column, f.op, f.value as never);
      case 'property':
        return eb.exists(eb.selectFrom('image_properties as p').select(sql.lit(1).as('one'))
          .whereRef('p.image_id', '=', 'images.id').where('p.name', '=', f.name).where('p.value', '=', f.value));
      case 'tag':
        return eb.exists(eb.selectFrom('image_tags as t').select(sql.lit(1).as('one'))
          .whereRef('t.image_id', '=', 'images.id').where('t.value', '=', f.value));
    }
  }

  /** Rows strictly after the marker in the sort order: (k1 > v1) or (k1 = v1 and k2 > v2) or ... */
  private afterMarker(eb: Eb, sort: { key: SortKey; dir: SortDir }[], marker: Image): Expression<SqlBool> {
    const branches: Expression<SqlBool>[] = [];
    for (let i = 0; i < sort.length; i++) {
      const parts: Expression<SqlBool>[] = [];
      for (let j = 0; j < i; j++) parts.push(eb(sortExpression(sort[j]!.key) as never, '=', sortValue(marker, sort[j]!.key) as never));
      const s = sort[i]!;
      parts.push(eb(sortExpression(s.key) as never, s.dir === 'asc' ? '>' : '<', sortValue(marker, s.key) as never));
      branches.push(eb.and(parts));
    }
    return eb.or(branches);
  }

  /** Properties and tags for a page of rows: two queries, whatever the page size. */
  private async hydrate(rows: ImagesTable[]): Promise<Image[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const [props, tags] = await Promise.all([
      this.db.selectFrom('image_properties').select(['image_id', 'name', 'value']).where('image_id', 'in', ids).execute(),
      this.db.selectFrom('image_tags').select(['image_id', 'value']).where('image_id', 'in', ids).orderBy('value').execute(),
    ]);
    const propsById = new Map<string, Record<string, string>>();
    for (const p of props) {
      let bag = propsById.get(p.image_id);
      if (!bag) propsById.set(p.image_id, bag = {});
      bag[p.name] = p.value;
    }
    const tagsById = new Map<string, string[]>();
    for (const t of tags) {
      let list = tagsById.get(t.image_id);
      if (!list) tagsById.set(t.image_id, list = []);
      list.push(t.value);
    }
    return rows.map((r) => rowToImage(r, propsById.get(r.id) ?? {}, tagsById.get(r.id) ?? []));
  }

  /**
   * Write an edited image back: its columns, the properties that changed or
   * went away, and its tags when they changed. One short transaction.
   */
  async save(before: Image, after: Image): Promise<boolean> {
    const columns = imageToRow(after);
    const { id: _id, created_at: _c, deleted: _d, deleted_at: _da, ...changes } = columns;
    const removed = Object.keys(before.properties).filter((k) => !Object.hasOwn(after.properties, k));
    const upserts = Object.entries(after.properties).filter(([k, v]) => before.properties[k] !== v);
    const tagsChanged = before.tags.length !== after.tags.length || before.tags.some((t, i) => after.tags[i] !== t);
    return this.db.transaction().execute(async (trx) => {
      const res = await trx.updateTable('images').set(changes).where('id', '=', after.id).where('deleted', '=', 0).executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) return false;
      const touched = [...removed, ...upserts.map(([k]) => k)];
      if (touched.length > 0) {
        await trx.deleteFrom('image_properties').where('image_id', '=', after.id).where('name', 'in', touched).execute();
      }
      if (upserts.length > 0) {
        await trx.insertInto('image_properties').values(upserts.map(([name, value]) => ({ image_id: after.id, name, value }))).execute();
      }
      if (tagsChanged) {
        await trx.deleteFrom('image_tags').where('image_id', '=', after.id).execute();
        if (after.tags.length > 0) {
          await trx.insertInto('image_tags').values(after.tags.map((value) => ({ image_id: after.id, value }))).execute();
        }
      }
      return true;
    });
  }

  /**
   * Move a live image from one of `from` to `to` (with other columns), only if
   * it is still in one of `from`: the compare-and-set that keeps two uploads
   * (or an upload and a delete) from both winning.
   */
  async transition(id: string, from: readonly ImageStatus[], to: ImageStatus, changes: ImageColumnChanges = {}): Promise<boolean> {
    const res = await this.db.updateTable('images')
      .set({ ...changes, status: to, updated_at: nowIso() })
      .where('id', '=', id).where('deleted', '=', 0).where('status', 'in', [...from])
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Mark the image deleted (its id stays taken) and drop its members. False when it was already gone. */
  async softDelete(id: string): Promise<boolean> {
    const now = nowIso();
    return this.db.transaction().execute(async (trx) => {
      const res = await trx.updateTable('images')
        .set({ deleted: 1, deleted_at: now, updated_at: now, status: 'deleted' })
        .where('id', '=', id).where('deleted', '=', 0)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) return false;
      await trx.deleteFrom('image_members').where('image_id', '=', id).execute();
      return true;
    });
  }

  /** Add one tag; true when it was new. */
  async addTag(id: string, tag: string): Promise<boolean> {
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('image_tags').values({ image_id: id, value: tag }).execute();
        await trx.updateTable('images').set({ updated_at: nowIso() }).where('id', '=', id).execute();
      });
      return true;
    } catch (err) {
      // Two requests adding the same tag: the second finds it there, which is fine.
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  /** Remove one tag; false when the image did not have it. */
  async removeTag(id: string, tag: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const res = await trx.deleteFrom('image_tags').where('image_id', '=', id).where('value', '=', tag).executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) return false;
      await trx.updateTable('images').set({ updated_at: nowIso() }).where('id', '=', id).execute();
      return true;
    });
  }
}
