/** The body of POST /v3/users/{id}/credentials/OS-EC2: the project the key pair acts on. */
export const ec2CredentialCreate = {
  type: 'object',
  properties: { tenant_id: { type: 'string', minLength: 1, maxLength: 64 } },
  required: ['tenant_id'],
  additionalProperties: true,
} as const;
