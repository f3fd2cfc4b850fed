/**
 * Query strings: which parameters each microversion takes (schemas, as
 * placement's GET_SCHEMA_1_x), and the parameter values placement parses in
 * code rather than by schema: resource amounts, member_of and required.
 */
import { BadRequest } from '../../../errors.js';
import { BadQueryValue } from '../../errors.js';
import { MAX_INT } from '../../standard.js';
import { once, perVersion, UUID_RE } from './common.js';

export type Query = Record<string, string | string[] | undefined>;

/** GET /allocation_candidates (1.10): limit (1.16), required (1.17), member_of (1.21), group_policy (1.25), in_tree (1.31), root_required (1.35). */
export const candidatesQuery = perVersion(['1.10', '1.16', '1.17', '1.21', '1.25', '1.31', '1.35'], (has) => ({
  type: 'object',
  properties: {
    resources: {},
    ...(has('1.16') ? { limit: once({ pattern: '^[1-9][0-9]*$' }) } : {}),
    ...(has('1.17') ? { required: {} } : {}),
    ...(has('1.21') ? { member_of: {} } : {}),
    ...(has('1.25') ? { group_policy: once({ enum: ['none', 'isolate'] }) } : {}),
    ...(has('1.31') ? { in_tree: {} } : {}),
    ...(has('1.35') ? { root_required: {} } : {}),
  },
  additionalProperties: false,
}));

/** GET /usages (1.9): consumer_type from 1.38. */
export const usagesQuery = perVersion(['1.9', '1.38'], (has) => ({
  type: 'object',
  properties: { project_id: {}, user_id: {}, ...(has('1.38') ? { consumer_type: {} } : {}) },
  additionalProperties: false,
}));

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

const RC_NAME_RE = /^[A-Z0-9_]+$/;

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

/** Request groups with a suffix (resources1=...) are placement's; this one answers only the unnumbered group. */
export function refuseNumberedGroups(q: Query): void {
  const numbered = Object.keys(q).filter((k) => /^(resources|required|member_of|in_tree)[0-9A-Za-z_-]+$/.test(k));
  if (numbered.length > 0) {
    throw new BadRequest(`Numbered request groups (${numbered.join(', ')}) are not supported by this placement service.`);
  }
}

/** in_tree: one provider uuid. */
export function inTreeOf(q: Query): string | undefined {
  const inTree = single(q, 'in_tree');
  if (inTree !== undefined && !UUID_RE.test(inTree)) throw new BadRequest(`Invalid uuid value: ${inTree}`);
  return inTree;
}

/** The trait list's name filter: "in:A,B" or "startswith:PREFIX". */
export function traitNameFilter(q: Query): { names?: string[]; prefix?: string } {
  const name = single(q, 'name');
  if (name === undefined) return {};
  if (name.startsWith('in:')) return { names: name.slice(3).split(',') };
  if (name.startsWith('startswith:')) return { prefix: name.slice('startswith:'.length) };
  throw new BadRequest(`Badly formatted name parameter. Expected name query string parameter in form: ?name=startswith:CUSTOM_  or ?name=in:CUSTOM_A,CUSTOM_B. Got: "${name}"`);
}
