/**
 * Request bodies checked against JSON schemas (Ajv), with Keystone's words:
 * a missing wrapper key is "Expecting to find x in request body", a shape
 * error is "Invalid input for field 'path': <jsonschema's message>".
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { BadRequest } from '../../errors.js';
import { showValue } from '../../http/validation.js';
import { isObject, type Json } from './validate.js';

const ajv = new Ajv({ allErrors: false, coerceTypes: false, strict: false, useDefaults: false });
const cache = new WeakMap<object, ValidateFunction>();

/** The member `key` of the body, checked against `schema`. */
export function validated(body: unknown, key: string, schema: object): Json {
  if (!isObject(body) || !Object.hasOwn(body, key)) {
    throw new BadRequest(`Expecting to find ${key} in request body. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`);
  }
  const ref = body[key];
  check(schema, ref);
  return ref as Json;
}

/** The whole body checked against `schema` (bodies with no wrapper key, as auth's). */
export function check(schema: object, value: unknown): void {
  let fn = cache.get(schema);
  if (!fn) cache.set(schema, (fn = ajv.compile(schema)));
  if (!fn(value)) throw new BadRequest(describe(fn.errors?.[0], value));
}

function valueAt(root: unknown, path: string[]): unknown {
  let v = root;
  for (const p of path) v = isObject(v) || Array.isArray(v) ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

/** A value as jsonschema's messages show it: strings in single quotes, the rest as JSON. */
function repr(v: unknown): string {
  const shown = showValue(v);
  return typeof v === 'string' ? `'${shown}'` : shown;
}

/** A schema keyword argument (a type name, a property name) as jsonschema shows it. */
function word(v: unknown): string {
  return Array.isArray(v) ? `[${v.map((x) => repr(x)).join(', ')}]` : repr(v);
}

function describe(err: ErrorObject | undefined, root: unknown): string {
  if (!err) return 'Invalid input.';
  const path = err.instancePath.split('/').filter(Boolean).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const value = valueAt(root, path);
  const params = err.params as Record<string, unknown>;
  let message: string;
  switch (err.keyword) {
    case 'type': message = `${repr(value)} is not of type ${word(params.type)}`; break;
    case 'required': message = `${word(params.missingProperty)} is a required property`; break;
    case 'additionalProperties': message = `Additional properties are not allowed (${word(params.additionalProperty)} was unexpected)`; break;
    case 'minLength': message = `${repr(value)} is too short`; break;
    case 'maxLength': message = `${repr(value)} is too long`; break;
    case 'pattern': message = `${repr(value)} does not match ${word(params.pattern)}`; break;
    case 'enum': message = `${repr(value)} is not one of ${word(params.allowedValues)}`; break;
    case 'minProperties': message = `${repr(value)} does not have enough properties`; break;
    case 'minItems': message = `${repr(value)} is too short`; break;
    case 'maxItems': message = `${repr(value)} is too long`; break;
    case 'minimum': case 'maximum': message = `${repr(value)} is ${err.keyword === 'minimum' ? 'less' : 'greater'} than the ${err.keyword} of ${repr(params.limit)}`; break;
    default: message = `${repr(value)} is not valid under the given schema`;
  }
  return path.length > 0 ? `Invalid input for field '${path.join('/')}': ${message}` : message;
}
