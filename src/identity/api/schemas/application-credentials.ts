/** Application credential bodies (keystone/application_credential/schema.py). */
import { boolean, name, nullableDescription } from './common.js';
import { roleRefs } from './trusts.js';

export const applicationCredentialCreate = {
  type: 'object',
  properties: {
    name,
    description: nullableDescription,
    secret: { type: ['string', 'null'], minLength: 1, maxLength: 4096 },
    expires_at: { type: ['string', 'null'], maxLength: 64 },
    roles: roleRefs,
    unrestricted: boolean,
    access_rules: { type: 'array', maxItems: 0 },
  },
  required: ['name'],
  additionalProperties: true,
} as const;
