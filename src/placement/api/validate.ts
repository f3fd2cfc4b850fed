/**
 * Request body and query checks with placement's wording ("JSON does not
 * validate: ..."). Small and hand-written because the accepted shapes change
 * with the microversion.
 */
import { BadRequest } from '../../errors.js';
import { BadQueryValue } from '../errors.js';
import { MAX_INT } from '../standard.js';

export const UUID_RE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
export const RC_NAME_RE = /^[A-Z0-9_]+$/;

export function invalid(msg: string): never {
  throw new BadRequest(`JSON does not validate: ${msg}`);
}

export function object(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) invalid(`${path} is not of type 'object'`);
  return v as Record<string, unknown>;
}

export function only(o: Record<string, unknown>, allowed: readonly string[], path: string): void {
  const extra = Object.keys(o).filter((k) => !allowed.includes(k));
  if (extra.length > 0) invalid(`Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected) in ${path}`);
}

export function required(o: Record<string, unknown>, keys: readonly string[], path: string): void {
  for (const k of keys) if (!(k in o)) invalid(`'${k}' is a required property in ${path}`);
}

export function string(v: unknown, path: string, opts: { maxLength?: number; minLength?: number; pattern?: RegExp } = {}): string {
  if (typeof v !== 'string') invalid(`${path} is not of type 'string'`);
  if (opts.minLength !== undefined && v.length < opts.minLength) invalid(`${path} is too short`);
  if (opts.maxLength !== undefined && v.length > opts.maxLength) invalid(`${path} is too long`);
  if (opts.pattern && !opts.pattern.test(v)) invalid(`${path} does not match '${opts.pattern.source}'`);
  return v;
}

export function integer(v: unknown, path: string, min?: number, max?: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) invalid(`${path} is not of type 'integer'`);
  if (min !== undefined && v < min) invalid(`${path} is less than the minimum of ${min}`);
  if (max !== undefined && v > max) invalid(`${path} is greater than the maximum of ${max}`);
  return v;
}

export function number(v: unknown, path: string, min?: number, max?: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) invalid(`${path} is not of type 'number'`);
  if (min !== undefined && v < min) invalid(`${path} is less than the minimum of ${min}`);
  if (max !== undefined && v > max) invalid(`${path} is greater than the maximum of ${max}`);
  return v;
}

export function uuid(v: unknown, path: string): string {
  const s = string(v, path);
  if (!UUID_RE.test(s)) invalid(`${path} is not a 'uuid'`);
  return s;
}

export function array(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) invalid(`${path} is not of type 'array'`);
  return v;
}

// ---- query strings

export type Query = Record<string, string | string[] | undefined>;

/** Unknown query parameters are refused, as placement's query schemas do. */
export function onlyParams(q: Query, allowed: readonly string[]): void {
  const extra = Object.keys(q).filter((k) => !allowed.includes(k));
  if (extra.length > 0) {
    throw new BadRequest(`Invalid query string parameters: Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length > 1 ? 'were' : 'was'} unexpected)`);
  }
}

/** A parameter that may appear once; `repeatable` ones come back as a list. */
export function single(q: Query, name: string): string | undefined {
  const v = q[name];
  if (Array.isArray(v)) throw new BadRequest(`Invalid query string parameters: ${name} may be given only once.`, { type: 'placement.query.duplicate_key' });
  return v;
}

export function many(q: Query, name: string): string[] {
  const v = q[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** "VCPU:1,MEMORY_MB:512" → { VCPU: 1, MEMORY_MB: 512 } */
export function parseResources(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(',')) {
    const [rc, amount, ...rest] = part.trim().split(':');
    if (!rc || amount === undefined || rest.length > 0 || !RC_NAME_RE.test(rc)) {
      throw new BadQueryValue(`Badly formed resources parameter. Expected resources query string parameter in form: ?resources=VCPU:2,MEMORY_MB:1024. Got: ${text}.`);
    }
    if (!/^\d+$/.test(amount) || Number(amount) < 1 || Number(amount) > MAX_INT) {
      throw new BadQueryValue(`Requested resource ${rc} expected positive integer amount. Got: ${amount}.`);
    }
    if (Object.hasOwn(out, rc)) throw new BadQueryValue(`Badly formed resources parameter: ${rc} is given more than once.`);
    out[rc] = Number(amount);
  }
  return out;
}

/** member_of values: "uuid", "in:u1,u2", and from 1.32 "!uuid" / "!in:u1,u2". */
export function parseMemberOf(values: string[], allowForbidden: boolean): string[][] {
  return values.map((raw) => {
    let v = raw;
    const forbidden = v.startsWith('!');
    if (forbidden) {
      if (!allowForbidden) throw new BadQueryValue(`Invalid query string parameters: Expected 'member_of' parameter to contain valid UUID(s). Got: ${raw}`);
      v = v.slice(1);
    }
    const list = v.startsWith('in:') ? v.slice(3).split(',') : [v];
    for (const u of list) {
      if (!UUID_RE.test(u)) throw new BadQueryValue(`Invalid query string parameters: Expected 'member_of' parameter to contain valid UUID(s). Got: ${raw}`);
    }
    return forbidden ? list.map((u) => `!${u}`) : list;
  });
}

/** required values: comma lists of traits; '!' forbids (1.22); 'in:' any-of (1.39). */
export function parseRequired(values: string[], opts: { allowForbidden: boolean; allowAnyOf: boolean }): string[] {
  const out: string[] = [];
  for (const raw of values) {
    if (raw.startsWith('in:')) {
      if (!opts.allowAnyOf) throw new BadQueryValue(`Invalid query string parameters: Invalid trait name in:... in required=${raw}`);
      const group = raw.slice(3).split(',');
      if (group.some((t) => t.length === 0 || t.startsWith('!'))) throw new BadQueryValue(`Invalid query string parameters: Expected 'required' parameter value of the form: in:HW_CPU_X86_VMX,CUSTOM_MAGIC. Got: ${raw}`);
      out.push(`in:${group.join(',')}`);
      continue;
    }
    for (const t of raw.split(',')) {
      if (t.length === 0 || t === '!') throw new BadQueryValue(`Invalid query string parameters: Expected 'required' parameter value of the form: HW_CPU_X86_VMX,CUSTOM_MAGIC. Got: ${raw}`);
      if (t.startsWith('!') && !opts.allowForbidden) throw new BadQueryValue(`Invalid query string parameters: Expected 'required' parameter value of the form: HW_CPU_X86_VMX,CUSTOM_MAGIC. Got: ${raw}`);
      out.push(t);
    }
  }
  return out;
}

/** Trait names mentioned by parsed `required` entries, without '!' or 'in:'. */
export function traitNames(required: string[]): string[] {
  return required.flatMap((r) => (r.startsWith('in:') ? r.slice(3).split(',') : [r.replace(/^!/, '')]));
}
