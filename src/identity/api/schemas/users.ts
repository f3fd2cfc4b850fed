/** User bodies (keystone/identity/schema.py). */
import { boolean, name, nullableDescription } from './common.js';

const password = { type: ['string', 'null'], maxLength: 4096 } as const;

const properties = {
  name,
  description: nullableDescription,
  domain_id: { type: ['string', 'null'], maxLength: 64 },
  default_project_id: { type: ['string', 'null'], maxLength: 64 },
  enabled: boolean,
  password,
} as const;

export const userCreate = { type: 'object', properties, required: ['name'], additionalProperties: true } as const;
export const userUpdate = { type: 'object', properties, additionalProperties: true } as const;

/** POST /v3/users/{id}/password: the old password proves who asks, so both are needed. */
export const passwordChange = {
  type: 'object',
  properties: {
    original_password: { type: 'string', maxLength: 4096 },
    password: { type: 'string', minLength: 1, maxLength: 4096 },
  },
  required: ['original_password', 'password'],
  additionalProperties: false,
} as const;
