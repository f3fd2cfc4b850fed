/**
 * Building blocks for the compute API's response schemas (test-only).
 *
 * Each response is described as a function of the microversion: a base shape
 * written once, and deltas applied from the version where Nova changes it.
 * Tempest's schemas (tempest/lib/api_schema/response/compute/) were the
 * reference for which fields exist and which are required; the structure here
 * is ours.
 */
import { Version } from './version.js';

export type Schema = Record<string, any>;

/** What a response must be: one of these status codes and, when given, a body matching the schema. */
export interface ResponseSpec {
  status: number[];
  /** undefined: the body must be empty. */
  body?: Schema;
}

export type VersionedSpec = (v: Version) => ResponseSpec;

/** An object with exactly these properties (no others), the named ones required. */
export function obj(properties: Record<string, Schema>, required: string[] = Object.keys(properties)): Schema {
  return { type: 'object', properties, required: [...required], additionalProperties: false };
}

/** A copy of an obj() schema with more properties (required when listed). */
export function extend(schema: Schema, properties: Record<string, Schema>, required: string[] = []): Schema {
  return {
    ...schema,
    properties: { ...schema.properties, ...properties },
    required: [...new Set([...(schema.required ?? []), ...required])],
  };
}

/** A copy of an obj() schema without these properties. */
export function omit(schema: Schema, names: string[]): Schema {
  const properties = { ...schema.properties };
  for (const n of names) delete properties[n];
  return { ...schema, properties, required: (schema.required ?? []).filter((r: string) => !names.includes(r)) };
}

/** A one-key envelope: {"server": {...}}. */
export function wrap(key: string, inner: Schema): Schema {
  return obj({ [key]: inner });
}

export const str: Schema = { type: 'string' };
export const strOrNull: Schema = { type: ['string', 'null'] };
export const int: Schema = { type: 'integer' };
export const intOrNull: Schema = { type: ['integer', 'null'] };
export const num: Schema = { type: 'number' };
export const bool: Schema = { type: 'boolean' };
export const anyObject: Schema = { type: 'object' };
export const uuid: Schema = { type: 'string', format: 'uuid' };
export const dateTime: Schema = { type: 'string', format: 'nova-date-time' };
export const dateTimeOrNull: Schema = { type: ['string', 'null'], format: 'nova-date-time' };
/** Server views: seconds and a Z (2012-09-27T07:11:56Z). */
export const zuluTime: Schema = { type: 'string', pattern: '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$' };
/** Instance actions and key pairs: naive UTC with microseconds (2018-04-25T01:26:29.000000); Go clients parse exactly this. */
export const naiveTime: Schema = { type: 'string', pattern: '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}$' };
export const naiveTimeOrNull: Schema = { anyOf: [naiveTime, { type: 'null' }] };
export const stringMap: Schema = { type: 'object', additionalProperties: { type: 'string' } };
export const arrayOf = (items: Schema, extra: Schema = {}): Schema => ({ type: 'array', items, ...extra });

export const links: Schema = arrayOf(obj({ href: { type: 'string', format: 'uri' }, rel: str }));
export const typedLinks: Schema = arrayOf(obj({ href: { type: 'string', format: 'uri' }, rel: str, type: str }, ['href', 'rel']));

export const macAddress: Schema = { type: 'string', pattern: '^(?:[a-f0-9]{2}:){5}[a-f0-9]{2}$' };
export const ipAddress: Schema = { type: 'string', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }] };
export const ipAddressOrNull: Schema = { anyOf: [ipAddress, { type: 'null' }] };

/** A list response: the list under `key`, optional `<key>_links` for paging. */
export function list(key: string, item: Schema, paged = false): Schema {
  const props: Record<string, Schema> = { [key]: arrayOf(item) };
  if (paged) props[`${key}_links`] = links;
  return obj(props, [key]);
}

export const ok = (body: Schema): ResponseSpec => ({ status: [200], body });
export const accepted = (body?: Schema): ResponseSpec => ({ status: [202], body });
export const noContent: ResponseSpec = { status: [204] };
export const acceptedEmpty: ResponseSpec = { status: [202] };
export const fixed = (spec: ResponseSpec): VersionedSpec => () => spec;

/** A route Nova removed at this microversion: 404 with the compute fault body. */
export const gone: ResponseSpec = { status: [404], body: obj({ itemNotFound: obj({ code: { const: 404 }, message: str }) }) };

/** A route Nova serves only up to `last` (the proxy APIs): answered with `gone` after it. */
export function until(last: string, spec: VersionedSpec): VersionedSpec {
  return (v) => (v.compare(last) > 0 ? gone : spec(v));
}
