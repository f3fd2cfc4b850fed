/**
 * Request schemas for flavors, flavor extra specs and flavor access, per
 * microversion as Nova defines them, plus the helpers every compute schema
 * module here uses to run a schema chosen at request time through Fastify's ajv.
 */
import type { FastifyRequest } from 'fastify';
import { BadRequest } from '../../../errors.js';

type Schema = Record<string, unknown>;

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

function valueAt(data: unknown, pointer: string): unknown {
  let cur = data;
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
  }
  return cur;
}

/** Nova's wording for a schema failure: the field, the value, and the rule it broke. */
function describe(err: AjvError, data: unknown): string {
  const path = err.instancePath.split('/').filter(Boolean);
  const field = path.length > 0 ? path[path.length - 1].replace(/~1/g, '/').replace(/~0/g, '~') : 'request';
  let value: string;
  try {
    value = JSON.stringify(valueAt(data, err.instancePath)) ?? 'None';
  } catch {
    value = '?';
  }
  let reason = err.message ?? 'is invalid';
  if (err.keyword === 'required') reason = `'${String(err.params.missingProperty)}' is a required property`;
  if (err.keyword === 'additionalProperties') {
    reason = `Additional properties are not allowed ('${String(err.params.additionalProperty)}' was unexpected)`;
  }
  if (value.length > 200) value = `${value.slice(0, 200)}...`;
  return `Invalid input for field/attribute ${field}. Value: ${value}. ${reason}`;
}

/**
 * Validates `data` against a schema picked for the request's microversion with
 * the route's own ajv (compiled once per schema object and route).
 */
export function validateInput<T>(request: FastifyRequest, schema: Schema, data: unknown): T {
  const validate = request.compileValidationSchema(schema);
  if (!validate(data)) {
    const err = (validate.errors?.[0] ?? { instancePath: '', keyword: 'type', params: {} }) as AjvError;
    throw new BadRequest(describe(err, data));
  }
  return data as T;
}

/** Query string values as Nova reads them: the first of repeated parameters. */
export function queryParam(request: FastifyRequest, name: string): string | undefined {
  const q = request.query as Record<string, string | string[] | undefined>;
  const v = q?.[name];
  if (Array.isArray(v)) return v[0];
  return v;
}

/** From 2.75 Nova refuses query parameters it does not know. */
export function rejectUnknownQuery(request: FastifyRequest, known: readonly string[]): void {
  const q = (request.query ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(q)) {
    if (!known.includes(key)) {
      throw new BadRequest(`Invalid input for query parameters ${key}. Value: ${JSON.stringify(q[key])}. Additional properties are not allowed ('${key}' was unexpected)`);
    }
  }
}

/** A non-negative integer query parameter (limit), or undefined when absent. */
export function nonNegativeIntQuery(request: FastifyRequest, name: string): number | undefined {
  const v = queryParam(request, name);
  if (v === undefined) return undefined;
  if (!/^[0-9]+$/.test(v)) {
    throw new BadRequest(`Invalid input for query parameters ${name}. Value: ${v}. '${v}' does not match '^[0-9]*$'`);
  }
  return Number(v);
}

/** Printable characters, not starting or ending with whitespace (Nova's valid_name_regex). */
const NAME_RE = /^(?![\p{C}\p{Z}])[^\p{C}\p{Zl}\p{Zp}]*(?<![\p{C}\p{Z}])$/u;
const DESCRIPTION_RE = /^[^\p{C}\p{Zl}\p{Zp}]*$/u;

export function checkName(field: string, value: string): void {
  if (!NAME_RE.test(value)) {
    throw new BadRequest(`Invalid input for field/attribute ${field}. Value: ${value}. An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.`);
  }
}

export function checkDescription(value: string | null | undefined): void {
  if (typeof value === 'string' && !DESCRIPTION_RE.test(value)) {
    throw new BadRequest(`Invalid input for field/attribute description. Value: ${value}. '${value}' does not match the allowed characters`);
  }
}

// Fastify's ajv runs in strict mode, which refuses `type: [a, b]`; Nova's
// multi-type fields are spelled as anyOf with the number branch first, so the
// error a client sees names the numeric rule it broke.
function intOrDigits(minimum: number): Schema {
  return { anyOf: [{ type: 'integer', minimum, maximum: 0x7fffffff }, { type: 'string', pattern: '^[0-9]+$' }] };
}
const nullableText = { anyOf: [{ type: 'string', minLength: 0, maxLength: 65535 }, { type: 'null' }] };

const flavorPositive = intOrDigits(1);
const flavorNonNegative = intOrDigits(0);
export const booleanParam = {
  enum: [true, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes',
    false, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no'],
};

export function parseBoolean(v: boolean | string): boolean {
  if (typeof v === 'boolean') return v;
  return ['true', '1', 'on', 'yes'].includes(v.toLowerCase());
}

function flavorCreate(withDescription: boolean): Schema {
  const properties: Record<string, unknown> = {
    name: { type: 'string', minLength: 1, maxLength: 255 },
    id: { anyOf: [{ type: 'string', minLength: 1, maxLength: 255, pattern: '^(?! )[a-zA-Z0-9. _-]+(?<! )$' }, { type: 'number' }, { type: 'null' }] },
    ram: flavorPositive,
    vcpus: flavorPositive,
    disk: flavorNonNegative,
    'OS-FLV-EXT-DATA:ephemeral': flavorNonNegative,
    swap: flavorNonNegative,
    rxtx_factor: { anyOf: [{ type: 'number', exclusiveMinimum: 0, maximum: 3.40282e38 }, { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$' }] },
    'os-flavor-access:is_public': booleanParam,
  };
  if (withDescription) properties.description = nullableText;
  return {
    type: 'object',
    properties: {
      flavor: { type: 'object', properties, required: ['name', 'ram', 'vcpus', 'disk'], additionalProperties: false },
    },
    required: ['flavor'],
    additionalProperties: false,
  };
}

export const flavorCreateV21 = flavorCreate(false);
export const flavorCreateV255 = flavorCreate(true);

export interface FlavorCreateBody {
  flavor: {
    name: string;
    id?: string | number | null;
    ram: number | string;
    vcpus: number | string;
    disk: number | string;
    'OS-FLV-EXT-DATA:ephemeral'?: number | string;
    swap?: number | string;
    rxtx_factor?: number | string;
    'os-flavor-access:is_public'?: boolean | string;
    description?: string | null;
  };
}

export const flavorUpdateV255 = {
  type: 'object',
  properties: {
    flavor: {
      type: 'object',
      properties: { description: nullableText },
      required: ['description'],
      additionalProperties: false,
    },
  },
  required: ['flavor'],
  additionalProperties: false,
};

export interface FlavorUpdateBody {
  flavor: { description: string | null };
}

export const FLAVOR_LIST_QUERY = ['limit', 'marker', 'is_public', 'minRam', 'minDisk', 'sort_key', 'sort_dir'] as const;

const metadataKey = '^[a-zA-Z0-9-_:. ]{1,255}$';
const extraSpecsMap = {
  type: 'object',
  patternProperties: { [metadataKey]: { anyOf: [{ type: 'string', maxLength: 255 }, { type: 'number' }] } },
  additionalProperties: false,
};

export const extraSpecsCreate = {
  type: 'object',
  properties: { extra_specs: extraSpecsMap },
  required: ['extra_specs'],
  additionalProperties: false,
};

export const extraSpecsUpdate = { ...extraSpecsMap, minProperties: 1, maxProperties: 1 };

export interface ExtraSpecsCreateBody {
  extra_specs: Record<string, string | number>;
}

function tenantAction(action: string): Schema {
  return {
    type: 'object',
    properties: {
      [action]: {
        type: 'object',
        properties: { tenant: { type: 'string', minLength: 1, maxLength: 255 } },
        required: ['tenant'],
        additionalProperties: false,
      },
    },
    required: [action],
    additionalProperties: false,
  };
}

export const addTenantAccess = tenantAction('addTenantAccess');
export const removeTenantAccess = tenantAction('removeTenantAccess');
