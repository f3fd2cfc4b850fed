/**
 * Allocation bodies (placement/schemas/allocation.py), one per microversion
 * where the shape changes: a list of providers before 1.12 and a dict after;
 * project and user from 1.8; the consumer generation from 1.28; the consumer
 * type from 1.38. POST /allocations (1.13) takes many consumers at once.
 */
import { BadRequest } from '../../../errors.js';
import { byResourceClass, perVersion, positive, UUID_PATTERN, UUID_RE, uuid } from './common.js';

const resources = byResourceClass(positive, 1);

const listShape = {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    properties: {
      resource_provider: { type: 'object', properties: { uuid }, required: ['uuid'], additionalProperties: false },
      resources,
    },
    required: ['resource_provider', 'resources'],
    additionalProperties: false,
  },
} as const;

/** From 1.12; an empty dict deletes the consumer's allocations from 1.28 (and always in a POST). */
function dictShape(minProperties: number): object {
  return {
    type: 'object',
    minProperties,
    patternProperties: {
      // Clients echo what GET gave them, which carries the provider generation.
      [UUID_PATTERN]: { type: 'object', properties: { resources, generation: {} }, required: ['resources'], additionalProperties: false },
    },
    additionalProperties: false,
  };
}

const ident = { type: 'string', minLength: 1, maxLength: 255 } as const;

function consumer(has: (v: string) => boolean, allowEmpty: boolean): object {
  const properties: Record<string, unknown> = {
    allocations: has('1.12') ? dictShape(allowEmpty ? 0 : 1) : listShape,
  };
  const required = ['allocations'];
  if (has('1.8')) { properties.project_id = ident; properties.user_id = ident; required.push('project_id', 'user_id'); }
  if (has('1.28')) { properties.consumer_generation = { type: ['integer', 'null'], minimum: 0 }; required.push('consumer_generation'); }
  if (has('1.38')) { properties.consumer_type = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[A-Z0-9_]+$' }; required.push('consumer_type'); }
  return { type: 'object', properties, required, additionalProperties: false };
}

const STEPS = ['1.0', '1.8', '1.12', '1.28', '1.38'];

/** PUT /allocations/{consumer_uuid}. */
export const allocationsPut = perVersion(STEPS, (has) => consumer(has, has('1.28')));

/** POST /allocations (1.13): consumer uuid → that consumer's write. */
export const allocationsPost = perVersion(STEPS, (has) => ({
  type: 'object',
  minProperties: 1,
  patternProperties: { [UUID_PATTERN]: consumer(has, true) },
  additionalProperties: false,
}));

/** The consumer named in the URL of a PUT. */
export function checkConsumerUuid(consumer: string): void {
  if (!UUID_RE.test(consumer)) throw new BadRequest(`Malformed consumer_uuid: ${consumer}`);
}
