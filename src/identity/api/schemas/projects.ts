/** Project bodies (keystone/resource/schema.py); names are capped at 64, as Keystone's column is. */
import { boolean, name, nullableDescription } from './common.js';
import { tag } from './project-tags.js';

const properties = {
  name: { ...name, maxLength: 64 },
  description: nullableDescription,
  domain_id: { type: ['string', 'null'], maxLength: 64 },
  enabled: boolean,
  parent_id: { type: ['string', 'null'], maxLength: 64 },
  is_domain: boolean,
  tags: { type: 'array', items: tag, maxItems: 80 },
} as const;

export const projectCreate = { type: 'object', properties, required: ['name'], additionalProperties: true } as const;
export const projectUpdate = { type: 'object', properties, additionalProperties: true } as const;
