/**
 * Request body checks with Keystone's messages ("Invalid input for field
 * 'x': ..."). Hand-written rather than JSON schemas so every shape error,
 * however deep, is a 400 that names the field.
 */
import { BadRequest } from '../../errors.js';

export type Json = Record<string, unknown>;

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function invalid(field: string, message: string): BadRequest {
  return new BadRequest(`Invalid input for field '${field}': ${message}`);
}

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The named member of a body, which must be an object. */
export function member(body: unknown, key: string, path = ''): Json {
  if (!isObject(body)) throw new BadRequest(`Expecting to find ${key} in request body. The server could not comply with the request since it is either malformed or otherwise incorrect.`);
  const v = body[key];
  const field = path ? `${path}/${key}` : key;
  if (v === undefined) throw invalid(path || key, `'${key}' is a required property`);
  if (!isObject(v)) throw invalid(field, `${typeName(v)} is not of type 'object'`);
  return v;
}

export function optionalMember(body: Json, key: string, path: string): Json | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (!isObject(v)) throw invalid(`${path}/${key}`, `${typeName(v)} is not of type 'object'`);
  return v;
}

export interface StringRules { maxLength?: number; minLength?: number; nullable?: boolean }

export function str(o: Json, key: string, path: string, rules: StringRules & { required: true }): string;
export function str(o: Json, key: string, path: string, rules?: StringRules): string | null | undefined;
export function str(o: Json, key: string, path: string, rules: StringRules & { required?: boolean } = {}): string | null | undefined {
  const v = o[key];
  const field = path ? `${path}/${key}` : key;
  if (v === undefined) {
    if (rules.required) throw invalid(path || key, `'${key}' is a required property`);
    return undefined;
  }
  if (v === null && rules.nullable) return null;
  if (typeof v !== 'string') throw invalid(field, `${typeName(v)} is not of type 'string'`);
  if (v.length < (rules.minLength ?? 0)) throw invalid(field, `'${v}' is too short`);
  if (rules.maxLength !== undefined && v.length > rules.maxLength) throw invalid(field, 'is too long');
  return v;
}

export function bool(o: Json, key: string, path: string): boolean | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw invalid(path ? `${path}/${key}` : key, `${typeName(v)} is not of type 'boolean'`);
  return v;
}

export function stringList(o: Json, key: string, path: string): string[] | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  const field = path ? `${path}/${key}` : key;
  if (!Array.isArray(v)) throw invalid(field, `${typeName(v)} is not of type 'array'`);
  for (const item of v) {
    if (typeof item !== 'string' || item.length === 0 || item.length > 255) throw invalid(field, 'each tag must be a non-empty string of at most 255 characters');
  }
  return v as string[];
}

/** Attributes Keystone stores without knowing them (description, email, ...). */
export function extraAttributes(o: Json, known: readonly string[]): Json {
  const extra: Json = {};
  for (const [k, v] of Object.entries(o)) if (!known.includes(k)) extra[k] = v;
  return extra;
}

/** Keystone's query booleans: present means true, unless it is "0" or "false". */
export function queryFlag(query: Record<string, unknown>, key: string): boolean {
  if (!(key in query)) return false;
  const v = query[key];
  const s = Array.isArray(v) ? String(v[0]) : String(v ?? '');
  return s !== '0' && s.toLowerCase() !== 'false';
}

export function queryString(query: Record<string, unknown>, key: string): string | undefined {
  const v = query[key];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? String(v[0]) : String(v);
}

/** ?enabled=true|false filters; anything else is ignored as Keystone does. */
export function queryBool(query: Record<string, unknown>, key: string): boolean | undefined {
  const v = queryString(query, key);
  if (v === undefined) return undefined;
  const s = v.toLowerCase();
  if (s === 'true' || s === '1' || s === '') return true;
  if (s === 'false' || s === '0') return false;
  return undefined;
}
