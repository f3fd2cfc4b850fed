/** Server tags (Nova's instance tags): at most 50 per server, each 1-60 characters without ',' or '/'. */
import { BadRequest } from '../errors.js';
import type { ComputeDb } from './db/tables.js';

export const MAX_TAG_COUNT = 50;
export const TAG_PATTERN = '^[^,/]*$';

export async function getTags(db: ComputeDb, uuids: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (uuids.length === 0) return out;
  for (let i = 0; i < uuids.length; i += 5000) {
    const rows = await db.selectFrom('tags').select(['resource_id', 'tag']).where('resource_id', 'in', uuids.slice(i, i + 5000)).orderBy('tag').execute();
    for (const r of rows) {
      const list = out.get(r.resource_id);
      if (list) list.push(r.tag);
      else out.set(r.resource_id, [r.tag]);
    }
  }
  return out;
}

export async function tagsOf(db: ComputeDb, uuid: string): Promise<string[]> {
  return (await getTags(db, [uuid])).get(uuid) ?? [];
}

/** Replaces a server's tags (duplicates count once). */
export async function setTags(db: ComputeDb, uuid: string, tags: readonly string[]): Promise<string[]> {
  const unique = [...new Set(tags)].sort();
  await db.deleteFrom('tags').where('resource_id', '=', uuid).execute();
  if (unique.length > 0) await db.insertInto('tags').values(unique.map((tag) => ({ resource_id: uuid, tag }))).execute();
  return unique;
}

/** Adds one tag; false when the server had it already. */
export async function addTag(db: ComputeDb, uuid: string, tag: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const existing = await tagsOf(trx, uuid);
    if (existing.includes(tag)) return false;
    if (existing.length >= MAX_TAG_COUNT) throw new BadRequest(`The number of tags exceeded the per-server limit ${MAX_TAG_COUNT}`);
    await trx.insertInto('tags').values({ resource_id: uuid, tag }).execute();
    return true;
  });
}

/** Removes one tag; false when the server did not have it. */
export async function deleteTag(db: ComputeDb, uuid: string, tag: string): Promise<boolean> {
  const res = await db.deleteFrom('tags').where('resource_id', '=', uuid).where('tag', '=', tag).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

export async function deleteAllTags(db: ComputeDb, uuid: string): Promise<void> {
  await db.deleteFrom('tags').where('resource_id', '=', uuid).execute();
}
