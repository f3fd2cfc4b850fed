/** Trust bodies (keystone/trust/schema.py). */
import { INT32_MAX } from '../../../db/integer-range.js';
import { boolean, idString, name } from './common.js';

export const roleRefs = {
  type: 'array',
  maxItems: 100,
  items: {
    type: 'object',
    properties: { id: idString, name },
    minProperties: 1,
    maxProperties: 1,
    additionalProperties: false,
  },
} as const;

export const trustCreate = {
  type: 'object',
  properties: {
    trustor_user_id: { type: 'string', minLength: 1, maxLength: 64 },
    trustee_user_id: { type: 'string', minLength: 1, maxLength: 64 },
    impersonation: boolean,
    project_id: { type: ['string', 'null'], minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' },
    remaining_uses: { type: ['integer', 'null'], minimum: 1, maximum: INT32_MAX },
    expires_at: { type: ['string', 'null'], maxLength: 64 },
    allow_redelegation: { type: ['boolean', 'null'] },
    redelegation_count: { type: ['integer', 'null'], minimum: 0, maximum: INT32_MAX },
    roles: roleRefs,
  },
  required: ['trustor_user_id', 'trustee_user_id', 'impersonation'],
  additionalProperties: true,
} as const;
