/**
 * Image request bodies, checked against the schema Glance publishes
 * (../../schemas.ts), as Glance's deserializer checks them: first the
 * attributes a client may not set at all (403), then the schema (400).
 */
import { Forbidden } from '../../../errors.js';
import { IMAGE_PROPERTIES } from '../../schemas.js';
import { checkWritableAttribute } from '../../patch.js';

/** Extra properties are strings with names of at most 255 characters. */
const extraProperty = { type: 'string' } as const;

/** POST /v2/images: any subset of the image's attributes, plus extra properties. */
export const imageCreate = {
  type: 'object',
  properties: IMAGE_PROPERTIES,
  additionalProperties: extraProperty,
  propertyNames: { maxLength: 255 },
} as const;

/** One attribute's new value in a PATCH, checked as `{ [attribute]: value }`. */
export const imageAttribute = imageCreate;

/** Links and locations Glance computes; a body naming one is refused before the schema runs. */
const DISALLOWED_ON_CREATE = ['direct_url', 'self', 'file', 'schema', 'stores'];

export function checkCreateAllowed(body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
  for (const key of DISALLOWED_ON_CREATE) {
    if (Object.hasOwn(body, key)) throw new Forbidden(`Attribute '${key}' is read-only.`);
  }
}

/** After the schema: read-only and reserved attributes (a new image may name its id). */
export function checkCreateWritable(body: Record<string, unknown>): void {
  for (const key of Object.keys(body)) if (key !== 'id') checkWritableAttribute(key);
}
