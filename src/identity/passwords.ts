/**
 * Password hashing with scrypt (node:crypto): a random salt per password and
 * the cost parameters stored beside the hash, so they can be raised later
 * without invalidating existing passwords.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const SCHEME = 'scrypt';
const KEY_LENGTH = 32;
const SALT_BYTES = 16;
export interface ScryptCost { N: number; r: number; p: number }

/**
 * N=2^14, r=8, p=1: 50-200 ms depending on the CPU, about what Keystone's
 * bcrypt costs; paid only when a password is checked, never per request.
 */
export const DEFAULT_SCRYPT_COST: ScryptCost = { N: 16384, r: 8, p: 1 };

function derive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const opts: ScryptOptions = { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r };
  return new Promise((resolve, reject) => {
    // The async form runs on the libuv pool, so a login never stalls the event loop.
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, cost);
  const { N, r, p } = cost;
  return `${SCHEME}$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** `cost` is what a check of a missing hash spends, to look like a real one. */
export async function verifyPassword(password: string, stored: string | null, cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<boolean> {
  const parsed = stored ? parseHash(stored) : undefined;
  if (!parsed) {
    // Spend the same time as a real check so a missing user is not told apart by timing.
    await derive(password, DUMMY_SALT, cost);
    return false;
  }
  const key = await derive(password, parsed.salt, parsed.cost);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

const DUMMY_SALT = randomBytes(SALT_BYTES);

function parseHash(stored: string): { cost: ScryptCost; salt: Buffer; key: Buffer } | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== SCHEME) return undefined;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![N, r, p].every((v) => Number.isInteger(v) && v > 0)) return undefined;
  return { cost: { N, r, p }, salt: Buffer.from(parts[4]!, 'base64'), key: Buffer.from(parts[5]!, 'base64') };
}

/** A random URL-safe password for bootstrap users. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
