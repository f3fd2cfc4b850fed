/** Domain bodies (keystone/resource/schema.py). */
import { boolean, name, nullableDescription } from './common.js';

const tags = { type: 'array', maxItems: 80, items: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^,/]*$' } } as const;

const properties = { description: nullableDescription, enabled: boolean, name: { ...name, maxLength: 64 }, tags } as const;

export const domainCreate = { type: 'object', properties, required: ['name'], additionalProperties: true } as const;
export const domainUpdate = { type: 'object', properties, minProperties: 1, additionalProperties: true } as const;
