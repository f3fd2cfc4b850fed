/**
 * Request validation against JSON schemas (Ajv), the one mechanism every
 * service uses. Schemas are compiled once and cached by identity; a failure
 * becomes the BadRequest the service's own dialect words (schema-dialects.ts):
 * Nova's and Keystone's jsonschema-style messages, Neutron's attribute
 * reasons, placement's "JSON does not validate", Glance's "does not match
 * schema". Compute's controllers pass no dialect and get Nova's words.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ApiError } from '../errors.js';
import { nova, type Dialect } from './schema-dialects.js';

export type { Dialect } from './schema-dialects.js';
export { glance, keystone, neutron, nova, placement, placementQuery, showValue } from './schema-dialects.js';

// `verbose` hands each error its failing value and the schema around it, which
// the dialects read instead of walking the body again. Neutron lists every
// unknown attribute at once, so its schemas run with allErrors.
const first = new Ajv({ allErrors: false, verbose: true, coerceTypes: false, strict: false, useDefaults: false });
const every = new Ajv({ allErrors: true, verbose: true, coerceTypes: false, strict: false, useDefaults: false });
const compiled = { first: new WeakMap<object, ValidateFunction>(), every: new WeakMap<object, ValidateFunction>() };

/**
 * Nova's 'base64' format (python's lenient decoder): characters outside the
 * alphabet are skipped, and what is left must be whole, padded quads.
 */
function isLenientBase64(value: string): boolean {
  const kept = value.replace(/[^A-Za-z0-9+/=]/g, '');
  return kept.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(kept);
}
for (const ajv of [first, every]) ajv.addFormat('base64', { type: 'string', validate: isLenientBase64 });

function compile(schema: object, all: boolean): ValidateFunction {
  const cache = all ? compiled.every : compiled.first;
  let fn = cache.get(schema);
  if (!fn) cache.set(schema, (fn = (all ? every : first).compile(schema)));
  return fn;
}

/** Throws the dialect's BadRequest (or other fault) when `body` does not fit `schema`. */
export function validate(schema: object, body: unknown, dialect: Dialect = nova): void {
  const fn = compile(schema, dialect.allErrors === true);
  if (!fn(body)) throw dialect.fault((fn.errors ?? []) as ErrorObject[], body) as ApiError;
}

/** Whether `value` fits `schema`, for checks that choose a path rather than fail. */
export function fits(schema: object, value: unknown): boolean {
  return compile(schema, false)(value) as boolean;
}
