/**
 * Request body checks with Neutron's answers: which attributes a resource
 * accepts on POST and PUT, and each attribute's type.
 */
import type { AuthContext } from '../../http/auth.js';
import { BadRequest } from '../../errors.js';
import { showValue } from '../../http/validation.js';
import { invalidAttribute } from '../errors.js';
import { parseBool } from '../listing.js';
import { checkTag } from '../tags.js';

export type Body = Record<string, unknown>;

export function isObject(v: unknown): v is Body {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The items of `{"network": {...}}` or of a bulk `{"networks": [...]}`. */
export function resourceItems(body: unknown, singular: string, plural: string): { items: Body[]; bulk: boolean } {
  if (!isObject(body)) throw new BadRequest('Resource body required');
  if (plural in body) {
    const list = body[plural];
    if (!Array.isArray(list) || list.length === 0) throw new BadRequest('Resources required');
    if (!list.every(isObject)) throw new BadRequest('Body contains invalid data');
    return { items: list as Body[], bulk: true };
  }
  const item = body[singular];
  if (!isObject(item)) throw new BadRequest(`Unable to find '${singular}' in request body`);
  return { items: [item], bulk: false };
}

/** Refuse attributes the resource does not have or that may not be set on this method. */
export function checkKeys(item: Body, allowed: ReadonlySet<string>, readOnly: ReadonlySet<string>, method: 'POST' | 'PUT'): void {
  const unknown: string[] = [];
  for (const key of Object.keys(item)) {
    if (allowed.has(key)) continue;
    if (readOnly.has(key)) {
      throw new BadRequest(method === 'PUT' ? `Cannot update read-only attribute ${key}` : `Attribute '${key}' not allowed in POST`);
    }
    unknown.push(key);
  }
  if (unknown.length > 0) throw new BadRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
}

export function requireAttrs(item: Body, names: readonly string[]): void {
  for (const name of names) {
    if (item[name] === undefined) throw new BadRequest(`Failed to parse request. Required attribute '${name}' not specified`);
  }
}

export function str(attr: string, v: unknown, max = 255): string {
  if (typeof v !== 'string') throw invalidAttribute(attr, `'${showValue(v)}' is not a valid string`);
  if (v.length > max) throw invalidAttribute(attr, `'${v}' exceeds maximum length of ${max}`);
  return v;
}

export function bool(attr: string, v: unknown): boolean {
  return parseBool(attr, v);
}

export function int(attr: string, v: unknown): number {
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw invalidAttribute(attr, `'${showValue(v)}' is not an integer`);
  return n;
}

export function list(attr: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) throw invalidAttribute(attr, `'${JSON.stringify(v)}' is not a list`);
  return v;
}

export function obj(attr: string, v: unknown): Body {
  if (!isObject(v)) throw invalidAttribute(attr, `'${JSON.stringify(v)}' is not a dictionary`);
  return v;
}

/** Attributes we show with a fixed value and accept only with that value. */
export function onlyEmptyList(attr: string, v: unknown): void {
  if (!Array.isArray(v) || v.length > 0) throw new BadRequest(`Invalid input for ${attr}. Reason: ${attr} is not supported by this cloud.`);
}

export function onlyNull(attr: string, v: unknown): void {
  if (v !== null) throw new BadRequest(`Invalid input for ${attr}. Reason: ${attr} is not supported by this cloud.`);
}

export function tagList(v: unknown): string[] {
  return list('tags', v).map(checkTag);
}

/**
 * The project a new resource belongs to: the caller's unless the body names
 * one, which only an admin may do for another project.
 */
export function owningProject(item: Body, auth: AuthContext): string {
  const tenant = item.tenant_id === undefined ? undefined : str('tenant_id', item.tenant_id);
  const project = item.project_id === undefined ? undefined : str('project_id', item.project_id);
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
