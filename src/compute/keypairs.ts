/**
 * Key pairs belong to a user (not a project), as in Nova. Importing checks the
 * key and stores Nova's fingerprint; creating generates a new pair and hands
 * the private key back once, never storing it.
 */
import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import { BadRequest, Conflict, NotFound, QuotaExceeded } from '../errors.js';
import { isUniqueViolation, nowIso } from '../db/schema-helpers.js';
import type { ComputeDb, KeyPairsTable } from './db/tables.js';
import { InvalidPublicKey, generateEd25519KeyPair, sshFingerprint, x509Fingerprint } from './ssh-keys.js';
import { generateX509KeyPair } from './x509-keys.js';

export type KeyPairRow = Selectable<KeyPairsTable>;
export type KeyPairType = 'ssh' | 'x509';

export const KEYPAIR_QUOTA_MESSAGE = 'Quota exceeded, too many key pairs.';

export async function getKeyPair(db: ComputeDb, userId: string, name: string): Promise<KeyPairRow> {
  const row = await db.selectFrom('key_pairs').selectAll().where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
  if (!row) throw new NotFound(`Keypair ${name} not found for user ${userId}`);
  return { ...row, id: Number(row.id) };
}

/** A user's key pairs by name, optionally one page after `marker` (a key pair name). */
export async function listKeyPairs(db: ComputeDb, userId: string, page: { limit?: number; marker?: string } = {}): Promise<KeyPairRow[]> {
  let q = db.selectFrom('key_pairs').selectAll().where('user_id', '=', userId);
  if (page.marker !== undefined) {
    const marker = await db.selectFrom('key_pairs').select(['id', 'name'])
      .where('user_id', '=', userId).where('name', '=', page.marker).executeTakeFirst();
    if (!marker) throw new BadRequest(`Marker ${page.marker} could not be found.`);
    q = q.where((eb) => eb.or([eb('name', '>', marker.name), eb.and([eb('name', '=', marker.name), eb('id', '>', marker.id)])]));
  }
  q = q.orderBy('name').orderBy('id');
  if (page.limit !== undefined) q = q.limit(page.limit);
  const rows = await q.execute();
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

export async function countKeyPairs(db: ComputeDb, userId: string): Promise<number> {
  const row = await db.selectFrom('key_pairs').select(sql<number>`count(*)`.as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow();
  return Number(row.n);
}

function fingerprintFor(publicKey: string, type: KeyPairType): string {
  try {
    return type === 'x509' ? x509Fingerprint(publicKey) : sshFingerprint(publicKey);
  } catch (err) {
    if (err instanceof InvalidPublicKey) {
      throw new BadRequest(type === 'x509'
        ? 'Keypair data is invalid: failed to generate X509 fingerprint.'
        : 'Keypair data is invalid: failed to generate fingerprint');
    }
    throw err;
  }
}

/** -1 means unlimited, as everywhere in Nova's quotas. */
async function checkQuota(db: ComputeDb, userId: string, limit: number, delta: number): Promise<void> {
  if (limit < 0) return;
  if ((await countKeyPairs(db, userId)) + delta > limit) throw new QuotaExceeded(KEYPAIR_QUOTA_MESSAGE);
}

async function insert(db: ComputeDb, userId: string, name: string, type: KeyPairType, publicKey: string, fingerprint: string, quota: number): Promise<KeyPairRow> {
  await checkQuota(db, userId, quota, 1);
  let row: KeyPairRow;
  try {
    row = await db.insertInto('key_pairs')
      .values({ name, user_id: userId, fingerprint, public_key: publicKey, type, created_at: nowIso() })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (err) {
    if (isUniqueViolation(err)) throw new Conflict(`Key pair '${name}' already exists.`);
    throw err;
  }
  // Two concurrent creates can both pass the first check; the recheck (Nova's
  // recheck_quota) takes back the one that went over.
  if (quota >= 0 && (await countKeyPairs(db, userId)) > quota) {
    await db.deleteFrom('key_pairs').where('id', '=', row.id).execute();
    throw new QuotaExceeded(KEYPAIR_QUOTA_MESSAGE);
  }
  return { ...row, id: Number(row.id) };
}

export interface KeyPairRequest {
  userId: string;
  name: string;
  type: KeyPairType;
  /** conf.quota.key_pairs */
  quota: number;
}

export async function importKeyPair(db: ComputeDb, req: KeyPairRequest, publicKey: string): Promise<KeyPairRow> {
  const fingerprint = fingerprintFor(publicKey, req.type);
  return insert(db, req.userId, req.name, req.type, publicKey, fingerprint, req.quota);
}

/** Generates a key pair; the private key is returned here and nowhere else. */
export async function createKeyPair(db: ComputeDb, req: KeyPairRequest): Promise<{ keypair: KeyPairRow; privateKey: string }> {
  // Quota first, so an over-quota user does not cost a key generation.
  await checkQuota(db, req.userId, req.quota, 1);
  const generated = req.type === 'x509' ? await generateX509KeyPair(req.userId) : generateEd25519KeyPair();
  const keypair = await insert(db, req.userId, req.name, req.type, generated.publicKey, generated.fingerprint, req.quota);
  return { keypair, privateKey: generated.privateKey };
}

export async function deleteKeyPair(db: ComputeDb, userId: string, name: string): Promise<void> {
  const res = await db.deleteFrom('key_pairs').where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw new NotFound(`Keypair ${name} not found for user ${userId}`);
}
