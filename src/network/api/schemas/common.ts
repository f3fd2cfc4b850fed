/**
 * Neutron's attribute types as JSON schemas. Neutron converts some values
 * before it validates them ("true" is a boolean, "42" an integer); the schemas
 * accept those spellings and the handlers convert after validation. Each type
 * carries Neutron's reason for a value it refuses (x-reason, read by the
 * neutron dialect in src/http/schema-dialects.ts).
 */
import type { AuthContext } from '../../../http/auth.js';
import { BadRequest } from '../../../errors.js';
import { parseBool } from '../../listing.js';

export type Body = Record<string, unknown>;

export const string = (maxLength = 255) => ({ type: 'string', maxLength }) as const;

export const boolean = {
  anyOf: [{ type: 'boolean' }, { enum: [0, 1] }, { type: 'string', pattern: '^(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|[01])$' }],
  'x-reason': "'%v' is not a valid boolean value",
} as const;

export const integer = {
  anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^-?\\d+$' }],
  'x-reason': "'%v' is not an integer",
} as const;

export const UUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

export const uuid = { type: 'string', pattern: UUID.source, 'x-reason': "'%v' is not a valid UUID" } as const;

export const list = (items: object = {}) => ({ type: 'array', items }) as const;

export const dict = { type: 'object' } as const;

/** Attributes shown with one fixed value and accepted only with it. */
export const onlyEmptyList = { type: 'array', maxItems: 0, 'x-reason': '%a is not supported by this cloud.' } as const;
export const onlyNull = { type: 'null', 'x-reason': '%a is not supported by this cloud.' } as const;

export const tag = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^,/]*$', 'x-reason': "'%v' is not a valid tag" } as const;
export const tags = list(tag);

/**
 * A resource body for one method: `settable` are the attributes it takes,
 * `readOnly` those the resource has but this method refuses, `required`
 * those it needs.
 */
export function resource(method: 'POST' | 'PUT', settable: Record<string, object>, readOnly: readonly string[], required: readonly string[] = []): object {
  return {
    type: 'object',
    properties: settable,
    required,
    additionalProperties: false,
    'x-readOnly': readOnly,
    'x-method': method,
  };
}

function isObject(v: unknown): v is Body {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The items of `{"network": {...}}` or of a bulk `{"networks": [...]}`, each for its resource schema. */
export function resourceItems(body: unknown, singular: string, plural: string): { items: Body[]; bulk: boolean } {
  if (!isObject(body)) throw new BadRequest('Resource body required');
  if (plural in body) {
    const items = body[plural];
    if (!Array.isArray(items) || items.length === 0) throw new BadRequest('Resources required');
    if (!items.every(isObject)) throw new BadRequest('Body contains invalid data');
    return { items: items as Body[], bulk: true };
  }
  const item = body[singular];
  if (!isObject(item)) throw new BadRequest(`Unable to find '${singular}' in request body`);
  return { items: [item], bulk: false };
}

/** A validated boolean attribute, in Neutron's spellings, as a boolean. */
export function asBool(attr: string, v: unknown): boolean {
  return parseBool(attr, v);
}

/** A validated integer attribute (a number or its digits) as a number. */
export function asInt(v: unknown): number {
  return typeof v === 'string' ? Number(v) : v as number;
}

/**
 * The project a new resource belongs to: the caller's unless the body names
 * one, which only an admin may do for another project.
 */
export function owningProject(item: Body, auth: AuthContext): string {
  const tenant = item.tenant_id as string | undefined;
  const project = item.project_id as string | undefined;
  if (tenant !== undefined && project !== undefined && tenant !== project) {
    throw new BadRequest("'project_id' and 'tenant_id' do not match");
  }
  const given = project ?? tenant;
  if (given === undefined || given === auth.projectId) return auth.projectId;
  if (!auth.roles.includes('admin')) {
    throw new BadRequest("Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges");
  }
  return given;
}
