/**
 * The proof that a metadata request came through Neutron's metadata agent:
 * the agent signs the instance id it resolved with the secret it shares with
 * Nova's metadata API ([neutron] metadata_proxy_shared_secret), and the API
 * serves only requests whose X-Instance-ID-Signature matches. Both sides use
 * this one definition, so they cannot drift apart.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Hex HMAC-SHA256 of the instance id, keyed by the shared secret (an empty secret still signs, as Neutron does). */
export function signInstanceId(secret: string, instanceId: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(instanceId, 'utf8')).digest('hex');
}

/** Whether `signature` is the instance id's signature; compared in constant time so timing does not leak it. */
export function instanceSignatureValid(secret: string, instanceId: string, signature: string): boolean {
  const expected = Buffer.from(signInstanceId(secret, instanceId), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  // timingSafeEqual needs equal lengths; the length of a hex digest is no secret.
  return given.length === expected.length && timingSafeEqual(given, expected);
}
