/** Credential bodies (keystone/credential/schema.py): an ec2 credential names its project. */
const properties = {
  blob: { type: 'string', maxLength: 65535 },
  project_id: { type: 'string', maxLength: 64 },
  type: { type: 'string', minLength: 1, maxLength: 255 },
  user_id: { type: 'string', minLength: 1, maxLength: 64 },
} as const;

export const credentialCreate = {
  type: 'object',
  properties,
  required: ['blob', 'type', 'user_id'],
  additionalProperties: true,
  if: { properties: { type: { const: 'ec2' } } },
  then: { required: ['project_id'] },
} as const;

export const credentialUpdate = { type: 'object', properties, minProperties: 1, additionalProperties: true } as const;
