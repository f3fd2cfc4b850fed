/** Group bodies (keystone/identity/schema.py). */
import { idString, name, nullableDescription } from './common.js';

const properties = { description: nullableDescription, domain_id: idString, name: { ...name, maxLength: 64 } } as const;

export const groupCreate = { type: 'object', properties, required: ['name'], additionalProperties: true } as const;
export const groupUpdate = { type: 'object', properties, minProperties: 1, additionalProperties: true } as const;
