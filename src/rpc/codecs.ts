/**
 * Codecs for RPC arguments and results: how one declared value goes onto the
 * bus and comes off it. The object codec is our NovaObjectSerializer (a
 * versioned object travels as its primitive and is checked against the
 * receiver's version); scalars and plain records travel as JSON and are
 * checked on arrival, so a handler only ever sees values of its declared type.
 *
 * A codec has two types: what the sender gives (`In`) and what the receiver
 * gets (`Out`). They differ only where the receiver fills a default.
 */
import { fromPrimitive, toPrimitive, type ObjectDef } from '../objects/base.js';

export class InvalidRpcArgument extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRpcArgument';
  }
}

export interface Codec<In, Out = In, Optional extends boolean = false> {
  /** What the value is, for error messages. */
  readonly what: string;
  /** An optional argument may be left out by the caller; it is then absent from the message. */
  readonly optional: Optional;
  encode(value: In): unknown;
  /** `at` names the argument (service.method: name) in the error a bad value raises. */
  decode(wire: unknown, at: string): Out;
}

export type AnyCodec = Codec<any, any, boolean>;
export type InOf<C> = C extends Codec<infer In, any, boolean> ? In : never;
export type OutOf<C> = C extends Codec<any, infer Out, boolean> ? Out : never;

function checked<T>(what: string, test: (v: unknown) => boolean): Codec<T> {
  return {
    what, optional: false,
    encode: (value) => {
      if (!test(value)) throw new InvalidRpcArgument(`expected ${what}, got ${describe(value)}`);
      return value;
    },
    decode: (wire, at) => {
      if (!test(wire)) throw new InvalidRpcArgument(`${at}: expected ${what}, got ${describe(wire)}`);
      return wire as T;
    },
  };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v;
}

export const str = checked<string>('a string', (v) => typeof v === 'string');
export const int = checked<number>('an integer', (v) => Number.isInteger(v));
export const bool = checked<boolean>('a boolean', (v) => typeof v === 'boolean');

/** A plain JSON record (a driver's diagnostics, a console's address): checked to be an object, carried as it is. */
export function record<T extends object>(what = 'a record'): Codec<T> {
  return checked<T>(what, (v) => v !== null && typeof v === 'object' && !Array.isArray(v));
}

/** One of a fixed set of strings or numbers. */
export function oneOf<T extends string | number>(values: readonly T[]): Codec<T> {
  return checked<T>(`one of ${values.join(', ')}`, (v) => values.includes(v as T));
}

/** A versioned object from src/objects, as its primitive (name, version, data). */
export function obj<T>(def: ObjectDef<T>): Codec<T> {
  return { what: `a ${def.name}`, optional: false, encode: (value) => toPrimitive(def, value), decode: (wire) => fromPrimitive(def, wire) };
}

export function listOf<I, O>(item: Codec<I, O>): Codec<I[], O[]> {
  return {
    what: `a list of ${item.what}`, optional: false,
    encode: (value) => {
      if (!Array.isArray(value)) throw new InvalidRpcArgument(`expected a list of ${item.what}, got ${describe(value)}`);
      return value.map((v) => item.encode(v));
    },
    decode: (wire, at) => {
      if (!Array.isArray(wire)) throw new InvalidRpcArgument(`${at}: expected a list of ${item.what}, got ${describe(wire)}`);
      return wire.map((w, i) => item.decode(w, `${at}[${i}]`));
    },
  };
}

export function nullable<I, O>(inner: Codec<I, O>): Codec<I | null, O | null> {
  return {
    what: `${inner.what} or null`, optional: false,
    encode: (value) => (value === null ? null : inner.encode(value)),
    decode: (wire, at) => (wire === null ? null : inner.decode(wire, at)),
  };
}

/** The caller may leave it out; the receiver then sees undefined. */
export function optional<I, O>(inner: Codec<I, O>): Codec<I | undefined, O | undefined, true> {
  return {
    what: inner.what, optional: true,
    encode: (value) => (value === undefined ? undefined : inner.encode(value)),
    decode: (wire, at) => (wire === undefined ? undefined : inner.decode(wire, at)),
  };
}

/** The caller may leave it out; it then travels as `fallback`, so the receiver always has a value. */
export function defaulted<I, O>(inner: Codec<I, O>, fallback: () => I): Codec<I | undefined, O, true> {
  return {
    what: inner.what, optional: true,
    encode: (value) => inner.encode(value === undefined ? fallback() : value),
    decode: (wire, at) => inner.decode(wire === undefined ? inner.encode(fallback()) : wire, at),
  };
}

/** The result of a call that answers nothing (and of every cast). */
export const none: Codec<void, void> = { what: 'nothing', optional: false, encode: () => null, decode: () => undefined };

/** A finite number (a float option, a window in seconds). */
export const num = checked<number>('a number', (v) => typeof v === 'number' && Number.isFinite(v));

/** A record of strings to strings (metadata, system metadata). */
export const stringMap = checked<Record<string, string>>('a record of strings', (v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((s) => typeof s === 'string'));

type Fields = Record<string, AnyCodec>;
type OptionalFields<F extends Fields> = { [K in keyof F]: F[K] extends Codec<any, any, true> ? K : never }[keyof F];
type Flat<T> = { [K in keyof T]: T[K] } & {};
export type StructIn<F extends Fields> = Flat<{ [K in Exclude<keyof F, OptionalFields<F>>]: InOf<F[K]> } & { [K in OptionalFields<F>]?: InOf<F[K]> }>;
export type StructOut<F extends Fields> = Flat<{ [K in Exclude<keyof F, OptionalFields<F>>]: OutOf<F[K]> } & { [K in OptionalFields<F>]?: OutOf<F[K]> }>;

/**
 * A plain record of known fields, each with its codec; an optional field may
 * be absent. A field it does not know is refused both ways, so both sides
 * agree on the shape exactly.
 */
export function struct<const F extends Fields>(what: string, fields: F): Codec<StructIn<F>, StructOut<F>> {
  const walk = (value: unknown, at: string, each: (codec: AnyCodec, v: unknown, where: string) => unknown): Record<string, unknown> => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidRpcArgument(`${at}expected ${what}, got ${describe(value)}`);
    const v = value as Record<string, unknown>;
    const unknown = Object.keys(v).filter((k) => !Object.hasOwn(fields, k) && v[k] !== undefined);
    if (unknown.length > 0) throw new InvalidRpcArgument(`${at}${what} has no field ${unknown.join(', ')}`);
    const out: Record<string, unknown> = {};
    for (const [k, codec] of Object.entries(fields)) {
      if (v[k] === undefined) {
        if (codec.optional) continue;
        throw new InvalidRpcArgument(`${at}${what} lacks ${k}`);
      }
      out[k] = each(codec, v[k], `${at}${k}`);
    }
    return out;
  };
  return {
    what, optional: false,
    encode: (value) => walk(value, '', (codec, v) => codec.encode(v)),
    decode: (wire, at) => walk(wire, `${at}: `, (codec, v, where) => codec.decode(v, where)) as StructOut<F>,
  };
}
