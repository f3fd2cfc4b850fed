/**
 * Expiry times as Keystone takes and prints them. Keystone keeps
 * microseconds, and clients compare what they sent with what comes back, so
 * the fraction is carried as digits rather than through Date (milliseconds).
 */
import { BadRequest } from '../errors.js';
import { showValue } from '../http/validation.js';

const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/i;

const INVALID = 'The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.';

/**
 * An ISO 8601 time in the future as UTC text with six fractional digits
 * (`2030-01-02T03:04:05.123456Z`); null stays null. No zone means UTC, as
 * Keystone reads it.
 */
export function parseExpiry(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const m = typeof value === 'string' ? ISO.exec(value) : null;
  if (!m) throw new BadRequest(`Timestamp not in expected format: ${showValue(value)}. ${INVALID}`);
  const [, whole, fraction = '', zone = 'Z'] = m as unknown as [string, string, string | undefined, string | undefined];
  const seconds = whole.length === 16 ? `${whole}:00` : whole;
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : zone.replace(/^([+-]\d{2}):?(\d{2})$/, '$1:$2');
  const ms = Date.parse(`${seconds}${offset}`);
  if (Number.isNaN(ms)) throw new BadRequest(`Timestamp not in expected format: ${showValue(value)}. ${INVALID}`);
  const micros = fraction.padEnd(6, '0').slice(0, 6);
  const at = ms + Number(micros.slice(0, 3));
  if (at <= Date.now()) throw new BadRequest(`The 'expires_at' must not be before now. ${INVALID}`);
  return `${new Date(ms).toISOString().slice(0, 19)}.${micros}Z`;
}

/** Milliseconds since the epoch of a time parseExpiry made. */
export function expiryMs(stored: string): number {
  return Date.parse(stored.replace(/(\.\d{3})\d*Z$/, '$1Z'));
}

/** A trust's expiry as Keystone prints it: UTC, microseconds, Z. Older rows with milliseconds get three zeros. */
export function showExpiry(stored: string | null): string | null {
  if (stored === null) return null;
  return /\.\d{3}Z$/.test(stored) ? stored.replace(/Z$/, '000Z') : stored;
}

/** An application credential's expiry as Keystone prints it: a naive UTC time, no zone letter. */
export function showNaiveExpiry(stored: string | null): string | null {
  const shown = showExpiry(stored);
  return shown === null ? null : shown.replace(/Z$/, '');
}
