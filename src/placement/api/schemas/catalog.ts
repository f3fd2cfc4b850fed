/** Resource class bodies (1.2) and the trait list query (1.6). */
import { BadRequest } from '../../../errors.js';
import { CUSTOM_NAME } from '../../standard.js';
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

/** PUT /resource_classes/{name} from 1.7: the name in the URL is a custom class's. */
export function checkCustomResourceClass(name: string): void {
  if (!CUSTOM_NAME.test(name) || name.length > 255) {
    throw new BadRequest(`Resource class ${name} is invalid: custom resource classes must be named CUSTOM_ followed by upper-case letters, digits or underscores.`);
  }
}

/** PUT /traits/{name}: the name in the URL is a custom trait's. */
export function checkCustomTrait(name: string): void {
  if (!CUSTOM_NAME.test(name) || name.length > 255) {
    throw new BadRequest('The trait is invalid. A valid trait must be no longer than 255 characters, start with the prefix "CUSTOM_" and use following characters: "A"-"Z", "0"-"9" and "_"');
  }
}
