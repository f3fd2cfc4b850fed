/** Keystone's parameter types (keystone/common/validation/parameter_types.py). */
import { BadRequest } from '../../../errors.js';
import { keystone, validate } from '../../../http/validation.js';

export const boolean = { type: 'boolean' } as const;

/** A name: 1-255 characters with at least one that is not white space. */
export const name = { type: 'string', minLength: 1, maxLength: 255, pattern: '\\S' } as const;

export const idString = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' } as const;

/** Keystone leaves descriptions unbounded; we cap them so a row stays a row. */
export const nullableDescription = { type: ['string', 'null'], maxLength: 65535 } as const;

export const url = { type: 'string', minLength: 0, maxLength: 225, pattern: '^[a-zA-Z0-9+.-]+:.+' } as const;

/**
 * The member `key` of a body, checked against `schema` in Keystone's words.
 * A body without the member is refused as Keystone refuses it, before any
 * schema runs.
 */
export function validated(body: unknown, key: string, schema: object): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !Object.hasOwn(body, key)) {
    throw new BadRequest(`Expecting to find ${key} in request body. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`);
  }
  const ref = (body as Record<string, unknown>)[key];
  validate(schema, ref, keystone);
  return ref as Record<string, unknown>;
}
