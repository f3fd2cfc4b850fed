/** Tags of networks, subnets, ports and trunks (Neutron's standard-attr-tag): one table keyed by resource id. */
import type { Kysely } from 'kysely';
import type { NetworkTables } from './tables.js';

export const MAX_TAG_LENGTH = 255;

export async function tagsFor(db: Kysely<NetworkTables>, ids: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (ids.length === 0) return out;
  const rows = await db.selectFrom('neutron_tags').select(['resource_id', 'tag'])
    .where('resource_id', 'in', [...ids]).orderBy('tag').execute();
  for (const r of rows) {
    const list = out.get(r.resource_id) ?? [];
    list.push(r.tag);
    out.set(r.resource_id, list);
  }
  return out;
}

export async function replaceTags(db: Kysely<NetworkTables>, id: string, tags: readonly string[]): Promise<void> {
  const unique = [...new Set(tags)];
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('neutron_tags').where('resource_id', '=', id).execute();
    if (unique.length > 0) await trx.insertInto('neutron_tags').values(unique.map((tag) => ({ resource_id: id, tag }))).execute();
  });
}

export async function addTag(db: Kysely<NetworkTables>, id: string, tag: string): Promise<void> {
  await db.insertInto('neutron_tags').values({ resource_id: id, tag }).onConflict((oc) => oc.doNothing()).execute();
}

/** False when the resource did not carry the tag. */
export async function removeTag(db: Kysely<NetworkTables>, id: string, tag: string): Promise<boolean> {
  const r = await db.deleteFrom('neutron_tags').where('resource_id', '=', id).where('tag', '=', tag).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
