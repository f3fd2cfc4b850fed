/** Credential bodies (keystone/credential/schema.py): an ec2 credential names its project. */
import { BadRequest } from '../../../errors.js';

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

/** What the schema cannot say: an ec2 blob is JSON text naming its access key, which becomes the id. */
export function checkEc2Blob(type: string, blob: string): void {
  if (type !== 'ec2') return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(blob);
  } catch {
    throw new BadRequest('Invalid blob in credential: an ec2 credential blob must be JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || typeof (parsed as Record<string, unknown>).access !== 'string') {
    throw new BadRequest('Invalid blob in credential: an ec2 credential blob must name its access key.');
  }
}
