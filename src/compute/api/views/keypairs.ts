/** Key pair response shapes, per microversion (Nova's keypairs view builder). */
import type { KeyPairRow } from '../../keypairs.js';

/** Nova shows naive UTC timestamps with microseconds: 2014-05-07T12:06:13.681238. */
export function novaTimestamp(iso: string | null): string | null {
  if (!iso) return null;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?/.exec(iso);
  if (!m) return iso;
  return `${m[1]}.${(m[2] ?? '').padEnd(6, '0').slice(0, 6)}`;
}

export function keypairIndexItem(k: KeyPairRow, withType: boolean): { keypair: Record<string, unknown> } {
  const out: Record<string, unknown> = { name: k.name, public_key: k.public_key, fingerprint: k.fingerprint };
  if (withType) out.type = k.type;
  return { keypair: out };
}

export function keypairCreated(k: KeyPairRow, withType: boolean, privateKey?: string): { keypair: Record<string, unknown> } {
  const out: Record<string, unknown> = {};
  if (privateKey !== undefined) out.private_key = privateKey;
  if (withType) out.type = k.type;
  Object.assign(out, { name: k.name, public_key: k.public_key, fingerprint: k.fingerprint, user_id: k.user_id });
  return { keypair: out };
}

export function keypairShow(k: KeyPairRow, withType: boolean): { keypair: Record<string, unknown> } {
  const out: Record<string, unknown> = {
    name: k.name, public_key: k.public_key, fingerprint: k.fingerprint, user_id: k.user_id,
    created_at: novaTimestamp(k.created_at), deleted: false, deleted_at: null, id: k.id, updated_at: null,
  };
  if (withType) out.type = k.type;
  return { keypair: out };
}
