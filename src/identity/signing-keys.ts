/**
 * The HMAC keys tokens are signed with. The first process to start creates
 * one and stores it; every other process (and every restart) reads it, so
 * tokens survive restarts and validate anywhere the database is shared.
 */
import { randomBytes } from 'node:crypto';
import { isUniqueViolation, nowIso } from '../db/schema-helpers.js';
import type { IdentityDb } from './tables.js';

/** The first key's id is fixed, so two processes starting at once agree on one key. */
const FIRST_KEY_ID = 'k1';

export class SigningKeys {
  private keys = new Map<string, Buffer>();
  private currentId: string | undefined;

  constructor(private readonly db: IdentityDb) {}

  /** Loads the keys, creating the first one when there is none. */
  async load(): Promise<void> {
    let rows = await this.db.selectFrom('identity_signing_keys').selectAll().orderBy('created_at').orderBy('id').execute();
    if (rows.length === 0) {
      try {
        await this.db.insertInto('identity_signing_keys')
          .values({ id: FIRST_KEY_ID, secret: randomBytes(32).toString('base64'), created_at: nowIso() })
          .execute();
      } catch (err) {
        // Another process created it first: use theirs.
        if (!isUniqueViolation(err)) throw err;
      }
      rows = await this.db.selectFrom('identity_signing_keys').selectAll().orderBy('created_at').orderBy('id').execute();
    }
    this.keys = new Map(rows.map((r) => [r.id, Buffer.from(r.secret, 'base64')]));
    // The newest key signs; older ones still validate what they signed.
    this.currentId = rows[rows.length - 1]?.id;
  }

  current(): { id: string; key: Buffer } {
    const id = this.currentId;
    const key = id === undefined ? undefined : this.keys.get(id);
    if (id === undefined || !key) throw new Error('signing keys are not loaded');
    return { id, key };
  }

  get(id: string): Buffer | undefined {
    return this.keys.get(id);
  }
}
