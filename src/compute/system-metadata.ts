/**
 * A server's system metadata (Nova's instance.system_metadata): keys the
 * services keep about a server for themselves, never shown to its user —
 * where a shelved server's image is, when and where it was shelved.
 */
import type { ComputeDb } from './db/tables.js';

export async function getSystemMetadata(db: ComputeDb, uuid: string): Promise<Record<string, string>> {
  const rows = await db.selectFrom('instance_system_metadata').select(['key', 'value']).where('instance_uuid', '=', uuid).execute();
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

/** Sets these keys, leaving the others as they are. */
export async function setSystemMetadata(db: ComputeDb, uuid: string, values: Record<string, string>): Promise<void> {
  const keys = Object.keys(values);
  if (keys.length === 0) return;
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('instance_system_metadata').where('instance_uuid', '=', uuid).where('key', 'in', keys).execute();
    await trx.insertInto('instance_system_metadata').values(keys.map((key) => ({ instance_uuid: uuid, key, value: values[key] }))).execute();
  });
}

export async function removeSystemMetadata(db: ComputeDb, uuid: string, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await db.deleteFrom('instance_system_metadata').where('instance_uuid', '=', uuid).where('key', 'in', keys).execute();
}
