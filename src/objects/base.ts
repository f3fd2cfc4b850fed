/**
 * Versioned objects: what crosses the bus, each with a name and a version
 * (as oslo.versionedobjects). The primitive form names both, so a receiver
 * refuses an object from a newer major version instead of misreading it.
 */

type FieldKind = 'string' | 'int' | 'float' | 'bool' | 'dict' | 'list' | 'any';

export interface FieldSpec {
  kind: FieldKind | ObjectDef<any>;
  list?: boolean;
  nullable?: boolean;
  optional?: boolean;
}

export interface ObjectDef<T> {
  readonly name: string;
  readonly version: string;
  readonly fields: { [K in keyof T]-?: FieldSpec };
}

export interface Primitive {
  'kilonova_object.name': string;
  'kilonova_object.version': string;
  'kilonova_object.data': Record<string, unknown>;
}

export class ObjectFieldError extends Error {}
export class IncompatibleObjectVersion extends Error {}

const REGISTRY = new Map<string, ObjectDef<any>>();

/**
 * What every conversion of a type reads, worked out once: its fields as a
 * list and its version as numbers. Every object on the bus goes through
 * these, and the compute hosts decode a server's whole record per build.
 */
interface Layout { fields: Array<[string, FieldSpec]>; major: number; minor: number }
const LAYOUTS = new WeakMap<ObjectDef<any>, Layout>();

function layoutOf(def: ObjectDef<any>): Layout {
  let layout = LAYOUTS.get(def);
  if (!layout) {
    const [major, minor] = def.version.split('.').map(Number);
    layout = { fields: Object.entries(def.fields) as Array<[string, FieldSpec]>, major, minor };
    LAYOUTS.set(def, layout);
  }
  return layout;
}

/** A primitive's version as numbers; null when it is not "major.minor". */
function parseVersion(version: unknown): [number, number] | null {
  return typeof version === 'string' && /^\d+\.\d+$/.test(version) ? version.split('.').map(Number) as [number, number] : null;
}

export function defineObject<T>(name: string, version: string, fields: { [K in keyof T]-?: FieldSpec }): ObjectDef<T> {
  const def: ObjectDef<T> = { name, version, fields };
  REGISTRY.set(name, def);
  return def;
}

export function toPrimitive<T>(def: ObjectDef<T>, obj: T): Primitive {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new ObjectFieldError(`expected a ${def.name}, got ${Array.isArray(obj) ? 'array' : String(obj === null ? null : typeof obj)}`);
  const data: Record<string, unknown> = {};
  for (const [key, spec] of layoutOf(def).fields) {
    const value = (obj as Record<string, unknown>)[key];
    if (value === undefined) {
      if (spec.optional) continue;
      throw new ObjectFieldError(`${def.name}.${key} is required`);
    }
    data[key] = encodeField(def, key, spec, value);
  }
  return { 'kilonova_object.name': def.name, 'kilonova_object.version': def.version, 'kilonova_object.data': data };
}

export function fromPrimitive<T>(def: ObjectDef<T>, prim: unknown): T {
  const p = prim as Primitive;
  if (!p || typeof p !== 'object' || p['kilonova_object.name'] !== def.name) {
    throw new ObjectFieldError(`expected a ${def.name} object, got ${String((p as Primitive)?.['kilonova_object.name'] ?? typeof prim)}`);
  }
  const version = p['kilonova_object.version'];
  const theirs = parseVersion(version);
  if (theirs === null) {
    throw new ObjectFieldError(`${def.name} has no valid version (got ${JSON.stringify(version) ?? 'nothing'})`);
  }
  const layout = layoutOf(def);
  if (theirs[0] !== layout.major || theirs[1] > layout.minor) {
    throw new IncompatibleObjectVersion(`${def.name} ${version} is not compatible with ${def.version}`);
  }
  const out: Record<string, unknown> = {};
  const data = p['kilonova_object.data'];
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new ObjectFieldError(`${def.name} has no data`);
  for (const [key, spec] of layout.fields) {
    if (!Object.hasOwn(data, key)) {
      if (spec.optional) continue;
      throw new ObjectFieldError(`${def.name}.${key} is missing`);
    }
    out[key] = decodeField(def, key, spec, data[key]);
  }
  return out as T;
}

function encodeField(def: ObjectDef<any>, key: string, spec: FieldSpec, value: unknown): unknown {
  if (value === null) {
    if (!spec.nullable) throw new ObjectFieldError(`${def.name}.${key} may not be null`);
    return null;
  }
  if (spec.list) {
    if (!Array.isArray(value)) throw new ObjectFieldError(`${def.name}.${key} must be a list`);
    return value.map((v) => encodeOne(def, key, spec.kind, v));
  }
  return encodeOne(def, key, spec.kind, value);
}

function encodeOne(def: ObjectDef<any>, key: string, kind: FieldSpec['kind'], value: unknown): unknown {
  if (typeof kind === 'object') return toPrimitive(kind, value);
  checkKind(def, key, kind, value);
  return value;
}

function decodeField(def: ObjectDef<any>, key: string, spec: FieldSpec, value: unknown): unknown {
  if (value === null) {
    if (!spec.nullable) throw new ObjectFieldError(`${def.name}.${key} may not be null`);
    return null;
  }
  if (spec.list) {
    if (!Array.isArray(value)) throw new ObjectFieldError(`${def.name}.${key} must be a list`);
    return value.map((v) => decodeOne(def, key, spec.kind, v));
  }
  return decodeOne(def, key, spec.kind, value);
}

function decodeOne(def: ObjectDef<any>, key: string, kind: FieldSpec['kind'], value: unknown): unknown {
  if (typeof kind === 'object') return fromPrimitive(kind, value);
  checkKind(def, key, kind, value);
  return value;
}

function checkKind(def: ObjectDef<any>, key: string, kind: FieldKind, value: unknown): void {
  const ok =
    kind === 'any' ||
    (kind === 'string' && typeof value === 'string') ||
    (kind === 'int' && Number.isInteger(value)) ||
    // NaN and Infinity would arrive as null after JSON, so they never leave.
    (kind === 'float' && typeof value === 'number' && Number.isFinite(value)) ||
    (kind === 'bool' && typeof value === 'boolean') ||
    (kind === 'dict' && typeof value === 'object' && !Array.isArray(value)) ||
    (kind === 'list' && Array.isArray(value));
  if (!ok) throw new ObjectFieldError(`${def.name}.${key} must be ${kind}`);
}

/** Every object type known to this process, by name (for tests and tooling). */
export function registeredObjects(): ReadonlyMap<string, ObjectDef<any>> {
  return REGISTRY;
}
