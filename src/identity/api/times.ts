/** Expiry times as Keystone takes and prints them. */
import { BadRequest } from '../../http/errors.js';
import { showValue } from '../../http/validation.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?$/i;

/** An ISO 8601 time in the future as ISO text in UTC; null stays null. No zone means UTC, as Keystone reads it. */
export function parseExpiry(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string' || !ISO.test(value)) {
    throw new BadRequest(`Timestamp not in expected format: ${showValue(value)}. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`);
  }
  const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(value) ? value : `${value}Z`;
  // Sub-millisecond digits are beyond what Date keeps.
  const ms = Date.parse(zoned.replace(/(\.\d{3})\d+/, '$1'));
  if (Number.isNaN(ms)) throw new BadRequest(`Timestamp not in expected format: ${showValue(value)}.`);
  if (ms <= Date.now()) throw new BadRequest("The 'expires_at' must not be before now. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.");
  return new Date(ms).toISOString();
}

/** Keystone prints subsecond times with microseconds. */
export function showExpiry(iso: string | null): string | null {
  return iso === null ? null : iso.replace(/\.(\d{3})Z$/, '.$1000Z');
}
