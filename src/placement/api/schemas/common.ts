/** Placement's parameter types (placement/schemas/common.py), shared by the resource schemas. */
import { MAX_INT } from '../../standard.js';

export const UUID_PATTERN = '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$';
export const UUID_RE = new RegExp(UUID_PATTERN);
export const RC_NAME_PATTERN = '^[A-Z0-9_]+$';
export const CUSTOM_NAME_PATTERN = '^CUSTOM_[A-Z0-9_]+$';

/** A uuid, as placement's "uuid" format (dashes optional). */
export const uuid = { type: 'string', pattern: UUID_PATTERN, 'x-format': 'uuid' } as const;
export const generation = { type: 'integer' } as const;
export const positive = { type: 'integer', minimum: 1, maximum: MAX_INT } as const;

/** A set of numbers whose members are resource class names. */
export function byResourceClass(value: object, minProperties = 0): object {
  return {
    type: 'object', minProperties,
    patternProperties: { [RC_NAME_PATTERN]: value },
    propertyNames: { maxLength: 255 },
    additionalProperties: false,
  };
}

/** A query parameter that may appear once: a repeat is refused by the handler, in placement's words. */
export function once(schema: object): object {
  return { if: { type: 'string' }, then: schema };
}

/**
 * One schema per microversion where the shape changes, built once so Ajv
 * compiles each once. `build` is told which changes a step has: has('1.28')
 * is true for the schema of 1.28 and later steps.
 */
export function perVersion<T>(steps: readonly string[], build: (has: (v: string) => boolean) => T): (atLeast: (v: string) => boolean) => T {
  const built = steps.map((step) => [step, build((v) => versionLe(v, step))] as const);
  return (atLeast) => {
    let chosen = built[0]![1];
    for (const [step, schema] of built) if (atLeast(step)) chosen = schema;
    return chosen;
  };
}

function versionLe(a: string, b: string): boolean {
  const [am, an] = a.split('.').map(Number) as [number, number];
  const [bm, bn] = b.split('.').map(Number) as [number, number];
  return am < bm || (am === bm && an <= bn);
}
