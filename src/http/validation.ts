/**
 * Request-body validation against JSON schemas chosen per microversion (as
 * Nova's @validation.schema with min/max versions). Failures become 400s
 * naming the field, in Nova's words.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { BadRequest } from '../errors.js';

const ajv = new Ajv({ allErrors: false, coerceTypes: false, strict: false, useDefaults: false });
const cache = new WeakMap<object, ValidateFunction>();

export function validate(schema: object, body: unknown): void {
  let fn = cache.get(schema);
  if (!fn) cache.set(schema, (fn = ajv.compile(schema)));
  if (!fn(body)) throw new BadRequest(describe(fn.errors?.[0], body));
}

function describe(err: ErrorObject | undefined, body: unknown): string {
  if (!err) return 'Invalid input';
  const path = err.instancePath.split('/').filter(Boolean);
  if (err.keyword === 'additionalProperties') {
    return `Additional properties are not allowed ('${(err.params as { additionalProperty: string }).additionalProperty}' was unexpected)`;
  }
  if (err.keyword === 'required') {
    return `Invalid input for field/attribute ${path.at(-1) ?? 'body'}. Value: ${showValue(valueAt(body, path))}. '${(err.params as { missingProperty: string }).missingProperty}' is a required property`;
  }
  const field = path.at(-1) ?? 'body';
  return `Invalid input for field/attribute ${field}. Value: ${showValue(valueAt(body, path))}. ${err.message ?? 'is invalid'}`;
}

function valueAt(body: unknown, path: string[]): unknown {
  let v = body;
  for (const p of path) v = (v as Record<string, unknown> | undefined)?.[p];
  return v;
}

/**
 * A value as an error message shows it, cut to 200 characters. Never through
 * String() or a template: a client's object may carry its own `toString` key,
 * which would make the conversion itself throw.
 */
export function showValue(v: unknown): string {
  let s: string | undefined;
  try {
    s = typeof v === 'string' ? v : JSON.stringify(v);
  } catch {
    s = typeof v;
  }
  return s === undefined ? 'None' : s.length > 200 ? `${s.slice(0, 200)}...` : s;
}
