/**
 * The server password (Nova keeps it in system metadata): set once by the
 * guest through the metadata service, read and cleared through the API.
 */
import type { ComputeDb } from './db/tables.js';

const KEY = 'password';

export async function getPassword(db: ComputeDb, uuid: string): Promise<string> {
  const row = await db.selectFrom('instance_system_metadata').select('value').where('instance_uuid', '=', uuid).where('key', '=', KEY).executeTakeFirst();
  return row?.value ?? '';
}

/** Stores the password unless one is set already (Nova refuses a second one with a 409). */
export async function setPasswordOnce(db: ComputeDb, uuid: string, password: string): Promise<boolean> {
  if ((await getPassword(db, uuid)) !== '') return false;
  await db.deleteFrom('instance_system_metadata').where('instance_uuid', '=', uuid).where('key', '=', KEY).execute();
  await db.insertInto('instance_system_metadata').values({ instance_uuid: uuid, key: KEY, value: password }).execute();
  return true;
}

export async function clearPassword(db: ComputeDb, uuid: string): Promise<void> {
  await db.deleteFrom('instance_system_metadata').where('instance_uuid', '=', uuid).where('key', '=', KEY).execute();
}
