/**
 * How each service words a request that its JSON schema refuses. The schema
 * and the Ajv run are shared (validation.ts); only the words differ, and they
 * are each service's own: Nova and Keystone echo python-jsonschema, Neutron
 * names the attribute and a reason, placement prefixes "JSON does not
 * validate", Glance says the object "does not match schema 'image'".
 *
 * Schemas may carry two annotations (Ajv ignores unknown keywords) that only
 * the dialects read:
 *   x-reason    Neutron's reason for this attribute: a string, or one per
 *               failing keyword ({type: ..., default: ...}). `%v` is the value
 *               as shown, `%j` the value as JSON, `%o` the object holding
 *               it as JSON, `%a` the attribute.
 *   x-readOnly  on a Neutron resource body, the attributes that exist but may
 *               not be sent; `x-method` says whether the body is a POST or PUT.
 *   x-format    'uuid' where a pattern stands for placement's uuid format.
 */
import type { ErrorObject } from 'ajv';
import { ApiError, BadRequest } from '../errors.js';

export interface Dialect {
  /** Whether the dialect needs every error (Neutron lists all unknown attributes). */
  allErrors?: boolean;
  fault(errors: ErrorObject[], root: unknown): ApiError;
}

type Schema = Record<string, unknown>;

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

function segments(err: ErrorObject): string[] {
  return err.instancePath.split('/').filter(Boolean).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function valueAt(root: unknown, path: string[]): unknown {
  let v = root;
  for (const p of path) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

/** The members of an object that its schema neither names nor matches by pattern. */
function unexpected(err: ErrorObject): string[] {
  const schema = (err.parentSchema ?? {}) as Schema;
  const named = (schema.properties ?? {}) as Schema;
  const patterns = Object.keys((schema.patternProperties ?? {}) as Schema).map((p) => new RegExp(p, 'u'));
  const data = err.data;
  if (typeof data !== 'object' || data === null) return [];
  return Object.keys(data).filter((k) => !Object.hasOwn(named, k) && !patterns.some((re) => re.test(k)));
}

/** A python repr as jsonschema's messages show it: strings in single quotes, the rest as JSON. */
function repr(v: unknown): string {
  const shown = showValue(v);
  return typeof v === 'string' ? `'${shown}'` : shown;
}

function word(v: unknown): string {
  return Array.isArray(v) ? `[${v.map((x) => repr(x)).join(', ')}]` : repr(v);
}

/** The clause python-jsonschema writes for a failing keyword, about `value`. */
function jsonschemaClause(err: ErrorObject, value: unknown): string {
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'type': return `${repr(value)} is not of type ${word(params.type)}`;
    case 'required': return `${word(params.missingProperty)} is a required property`;
    case 'additionalProperties': {
      const extra = unexpected(err);
      const list = (extra.length > 0 ? extra : [params.additionalProperty]).map((k) => repr(k)).join(', ');
      return `Additional properties are not allowed (${list} ${extra.length > 1 ? 'were' : 'was'} unexpected)`;
    }
    case 'minLength': case 'minItems': return `${repr(value)} is too short`;
    case 'maxLength': case 'maxItems': return `${repr(value)} is too long`;
    case 'pattern': return `${repr(value)} does not match ${word(params.pattern)}`;
    case 'enum': return `${repr(value)} is not one of ${word(params.allowedValues)}`;
    case 'const': return `${repr(params.allowedValue)} was expected`;
    case 'minProperties': return `${repr(value)} does not have enough properties`;
    case 'maxProperties': return `${repr(value)} has too many properties`;
    case 'uniqueItems': return `${repr(value)} has non-unique elements`;
    case 'minimum': return `${repr(value)} is less than the minimum of ${repr(params.limit)}`;
    case 'maximum': return `${repr(value)} is greater than the maximum of ${repr(params.limit)}`;
    case 'exclusiveMinimum': return `${repr(value)} is less than or equal to the minimum of ${repr(params.limit)}`;
    case 'exclusiveMaximum': return `${repr(value)} is greater than or equal to the maximum of ${repr(params.limit)}`;
    default: return `${repr(value)} is not valid under any of the given schemas`;
  }
}

/** Nova: "Invalid input for field/attribute <field>. Value: <value>. <reason>". */
export const nova: Dialect = {
  fault(errors, root) {
    const err = errors[0];
    if (!err) return new BadRequest('Invalid input');
    const path = segments(err);
    if (err.keyword === 'additionalProperties') {
      return new BadRequest(`Additional properties are not allowed ('${(err.params as { additionalProperty: string }).additionalProperty}' was unexpected)`);
    }
    const field = path.at(-1) ?? 'body';
    const value = showValue(valueAt(root, path));
    if (err.keyword === 'required') {
      return new BadRequest(`Invalid input for field/attribute ${field}. Value: ${value}. '${(err.params as { missingProperty: string }).missingProperty}' is a required property`);
    }
    return new BadRequest(`Invalid input for field/attribute ${field}. Value: ${value}. ${err.message ?? 'is invalid'}`);
  },
};

/** Keystone: jsonschema's clause, after "Invalid input for field '<path>': " when the fault is inside the body. */
export const keystone: Dialect = {
  fault(errors, root) {
    const err = errors[0];
    if (!err) return new BadRequest('Invalid input.');
    const path = segments(err);
    const message = jsonschemaClause(err, valueAt(root, path));
    return new BadRequest(path.length > 0 ? `Invalid input for field '${path.join('/')}': ${message}` : message);
  },
};

/** Placement's path of a value: "allocations[0].resources", or "body" for the body itself. */
function placementPath(path: string[], root = 'body'): string {
  if (path.length === 0) return root;
  return path.reduce((out, p, i) => (/^\d+$/.test(p) && i > 0 ? `${out}[${p}]` : i === 0 ? p : `${out}.${p}`), '');
}

function placementClause(err: ErrorObject, where: string): string {
  const params = err.params as Record<string, unknown>;
  const schema = (err.parentSchema ?? {}) as Schema;
  switch (err.keyword) {
    case 'type': return `${where} is not of type ${word(params.type)}`;
    case 'required': return `${repr(params.missingProperty)} is a required property in ${where}`;
    case 'additionalProperties': {
      const extra = unexpected(err);
      const list = (extra.length > 0 ? extra : [params.additionalProperty]).map((k) => repr(k)).join(', ');
      const patterns = Object.keys((schema.patternProperties ?? {}) as Schema);
      if (patterns.length > 0) return `${list} ${extra.length > 1 ? 'do' : 'does'} not match any of the regexes: ${patterns.map((p) => repr(p)).join(', ')} in ${where}`;
      return `Additional properties are not allowed (${list} ${extra.length > 1 ? 'were' : 'was'} unexpected) in ${where}`;
    }
    case 'propertyNames': return `${repr(String(params.propertyName))} is not a valid property name in ${where}`;
    case 'minLength': case 'minItems': return `${where} is too short`;
    case 'maxLength': case 'maxItems': return `${where} is too long`;
    case 'pattern': return schema['x-format'] ? `${where} is not a ${repr(schema['x-format'])}` : `${where} does not match ${repr(params.pattern)}`;
    case 'enum': return `${where} is not one of ${word(params.allowedValues)}`;
    case 'minProperties': return `${where} does not have enough properties`;
    case 'uniqueItems': return `${where} has non-unique elements`;
    case 'minimum': return `${where} is less than the minimum of ${String(params.limit)}`;
    case 'maximum': return `${where} is greater than the maximum of ${String(params.limit)}`;
    default: return `${where} is not valid under any of the given schemas`;
  }
}

/** The first error not inside another one's anyOf/oneOf branch, which says more. */
function outermost(errors: ErrorObject[]): ErrorObject | undefined {
  // An error about one property name is restated by its propertyNames error, which names the property.
  return errors.find((e) => e.propertyName === undefined && !errors.some((o) => o !== e && /Of$/.test(o.keyword) && e.schemaPath.startsWith(`${o.schemaPath}/`)));
}

/** Placement: "JSON does not validate: <clause> in <path>". */
export const placement: Dialect = {
  fault(errors) {
    const err = outermost(errors);
    if (!err) return new BadRequest('JSON does not validate');
    return new BadRequest(`JSON does not validate: ${placementClause(err, placementPath(segments(err)))}`);
  },
};

/** Placement's query strings: "Invalid query string parameters: <clause>". */
export const placementQuery: Dialect = {
  fault(errors) {
    const err = outermost(errors);
    if (!err) return new BadRequest('Invalid query string parameters');
    const path = segments(err);
    const clause = err.keyword === 'additionalProperties' || path.length === 0
      ? jsonschemaClause(err, err.data)
      : err.keyword === 'pattern' && ((err.parentSchema ?? {}) as Schema)['x-format']
        ? `${repr(err.data)} is not a ${repr(((err.parentSchema ?? {}) as Schema)['x-format'])}`
        : jsonschemaClause(err, err.data);
    return new BadRequest(`Invalid query string parameters: ${clause}`);
  },
};

/** A value as Glance's messages show it: as JSON, strings quoted. */
function asJson(v: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch {
    s = typeof v;
  }
  return s === undefined ? 'None' : showValue(s);
}

/** Glance: "Provided object does not match schema 'image': <clause> (<attribute>)". */
export const glance: Dialect = {
  fault(errors) {
    const err = outermost(errors);
    if (!err) return new BadRequest("Provided object does not match schema 'image'");
    const path = segments(err);
    const where = path.map((p) => (/^\d+$/.test(p) ? 'items' : p)).join(' ');
    const value = asJson(err.data);
    const params = err.params as Record<string, unknown>;
    let clause: string;
    switch (err.keyword) {
      case 'type': clause = `${value} is not of type ${(Array.isArray(params.type) ? params.type : [params.type]).map((t) => repr(t)).join(', ')}`; break;
      case 'enum': clause = `${value} is not one of ${JSON.stringify(params.allowedValues)}`; break;
      case 'maxLength': clause = `${value} is too long`; break;
      case 'pattern': return new BadRequest(`Provided object does not match schema 'image': ${value} does not match the pattern of ${where}`);
      case 'propertyNames': return new BadRequest('Custom property should not be greater than 255 characters.');
      default: clause = jsonschemaClause(err, err.data);
    }
    return new BadRequest(`Provided object does not match schema 'image': ${clause}${where ? ` (${where})` : ''}`);
  },
};

function reasonTemplate(schema: Schema, keyword: string): string | undefined {
  const r = schema['x-reason'];
  if (typeof r === 'string') return r;
  if (r && typeof r === 'object') {
    const map = r as Record<string, string>;
    return map[keyword] ?? map.default;
  }
  return undefined;
}

function fill(template: string, value: unknown, attr: string, holder: unknown): string {
  return template.replace(/%([vjao])/g, (_, k: string) => {
    if (k === 'v') return showValue(value);
    if (k === 'j') return JSON.stringify(value) ?? 'None';
    if (k === 'o') return JSON.stringify(holder) ?? 'None';
    return attr;
  });
}

/** Neutron's reason for an attribute's value, when the schema gives none of its own. */
function neutronReason(err: ErrorObject): string {
  const params = err.params as Record<string, unknown>;
  const value = err.data;
  switch (err.keyword) {
    case 'maxLength': return `'${showValue(value)}' exceeds maximum length of ${String(params.limit)}`;
    case 'minLength': return `'${showValue(value)}' is too short`;
    case 'additionalProperties': return `Unrecognized attribute(s) '${unexpected(err).join(', ')}'`;
    case 'enum': return `'${showValue(value)}' is not in [${(params.allowedValues as unknown[]).map((v) => showValue(v)).join(', ')}]`;
    case 'minimum': case 'maximum': return `'${showValue(value)}' is not in range`;
    case 'type':
      if (params.type === 'string') return `'${showValue(value)}' is not a valid string`;
      if (params.type === 'integer') return `'${showValue(value)}' is not an integer`;
      if (params.type === 'array') return `'${JSON.stringify(value)}' is not a list`;
      if (params.type === 'object') return `'${JSON.stringify(value)}' is not a dictionary`;
      return `'${showValue(value)}' is not of type ${String(params.type)}`;
    default: return `'${showValue(value)}' is not valid`;
  }
}

/**
 * Neutron: attributes the resource does not have, then ones it does not
 * allow on this method, then missing required ones, then the first attribute
 * whose value is wrong, as "Invalid input for <attr>. Reason: <reason>".
 */
export const neutron: Dialect = {
  allErrors: true,
  fault(errors, root) {
    const top = errors.find((e) => e.instancePath === '' && e.keyword === 'additionalProperties');
    if (top) {
      const schema = (top.parentSchema ?? {}) as Schema;
      const readOnly = new Set((schema['x-readOnly'] ?? []) as string[]);
      const extra = unexpected(top);
      const fixed = extra.find((k) => readOnly.has(k));
      if (fixed !== undefined) {
        return new BadRequest(schema['x-method'] === 'PUT' ? `Cannot update read-only attribute ${fixed}` : `Attribute '${fixed}' not allowed in POST`);
      }
      return new BadRequest(`Unrecognized attribute(s) '${extra.join(', ')}'`);
    }
    const missing = errors.find((e) => e.instancePath === '' && e.keyword === 'required');
    if (missing) {
      return new BadRequest(`Failed to parse request. Required attribute '${String((missing.params as { missingProperty: string }).missingProperty)}' not specified`);
    }
    const err = outermost(errors);
    if (!err) return new BadRequest('Invalid input');
    const path = segments(err);
    const attr = path[0] ?? 'body';
    const template = reasonTemplate((err.parentSchema ?? {}) as Schema, err.keyword);
    const reason = template ? fill(template, err.data, attr, valueAt(root, path.slice(0, -1))) : neutronReason(err);
    return new BadRequest(`Invalid input for ${attr}. Reason: ${reason}`);
  },
};
