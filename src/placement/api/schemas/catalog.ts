/** Resource class bodies (1.2) and the trait list query (1.6). */
import { CUSTOM_NAME_PATTERN, once } from './common.js';

/** POST /resource_classes, and PUT /resource_classes/{name} before 1.7 (a rename). */
export const resourceClassBody = {
  type: 'object',
  properties: { name: { type: 'string', maxLength: 255, pattern: CUSTOM_NAME_PATTERN } },
  required: ['name'],
  additionalProperties: false,
} as const;

export const traitListQuery = {
  type: 'object',
  properties: { name: {}, associated: once({ enum: ['true', 'false'] }) },
  additionalProperties: false,
} as const;
