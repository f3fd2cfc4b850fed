/** Role bodies (keystone/assignment/schema.py). */
import { name } from './common.js';

const properties = {
  name,
  description: { type: ['string', 'null'], maxLength: 255 },
  domain_id: { type: ['string', 'null'], maxLength: 64 },
} as const;

export const roleCreate = { type: 'object', properties, required: ['name'], additionalProperties: true } as const;
export const roleUpdate = { type: 'object', properties, additionalProperties: true } as const;
