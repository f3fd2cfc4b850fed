/** Inventory bodies (placement/schemas/inventory.py). */
import { MAX_INT } from '../../../placement/standard.js';
import { byResourceClass, generation, positive, RC_NAME_PATTERN } from './common.js';

const fields = {
  total: positive,
  reserved: { type: 'integer', minimum: 0, maximum: MAX_INT },
  min_unit: positive,
  max_unit: positive,
  step_size: positive,
  allocation_ratio: { type: 'number', minimum: 0, maximum: 3.40282e38 },
} as const;

/** PUT /resource_providers/{uuid}/inventories: every inventory at once. */
export const inventoriesReplace = {
  type: 'object',
  properties: {
    resource_provider_generation: generation,
    inventories: byResourceClass({ type: 'object', properties: fields, required: ['total'], additionalProperties: false }),
  },
  required: ['resource_provider_generation', 'inventories'],
  additionalProperties: false,
} as const;

/** POST /resource_providers/{uuid}/inventories: one new inventory. */
export const inventoryCreate = {
  type: 'object',
  properties: { resource_class: { type: 'string', maxLength: 255, pattern: RC_NAME_PATTERN }, ...fields },
  required: ['resource_class', 'total'],
  additionalProperties: false,
} as const;

/** PUT /resource_providers/{uuid}/inventories/{rc}: one inventory. */
export const inventoryUpdate = {
  type: 'object',
  properties: { resource_provider_generation: generation, ...fields },
  required: ['resource_provider_generation', 'total'],
  additionalProperties: false,
} as const;
