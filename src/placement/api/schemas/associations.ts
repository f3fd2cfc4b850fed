/** A provider's traits (1.6) and aggregates (1.1; an object with the generation from 1.19). */
import { generation, perVersion, uuid } from './common.js';

export const providerTraitsUpdate = {
  type: 'object',
  properties: {
    traits: { type: 'array', uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 255 } },
    resource_provider_generation: generation,
  },
  required: ['traits', 'resource_provider_generation'],
  additionalProperties: false,
} as const;

const aggregates = { type: 'array', uniqueItems: true, items: uuid } as const;

export const providerAggregatesUpdate = perVersion(['1.1', '1.19'], (has) => (has('1.19')
  ? {
    type: 'object',
    properties: { aggregates, resource_provider_generation: generation },
    required: ['aggregates', 'resource_provider_generation'],
    additionalProperties: false,
  }
  : aggregates));
