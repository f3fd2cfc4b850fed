/** Request schemas for /os-keypairs, per microversion as Nova defines them. */

const keypairName = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[_\\- a-zA-Z0-9]+$' };

function create(fields: { type?: boolean; userId?: boolean }): Record<string, unknown> {
  const properties: Record<string, unknown> = { name: keypairName, public_key: { type: 'string' } };
  if (fields.type) properties.type = { type: 'string', enum: ['ssh', 'x509'] };
  if (fields.userId) properties.user_id = { type: 'string' };
  return {
    type: 'object',
    properties: { keypair: { type: 'object', properties, required: ['name'], additionalProperties: false } },
    required: ['keypair'],
    additionalProperties: false,
  };
}

export const keypairCreateV21 = create({});
export const keypairCreateV22 = create({ type: true });
export const keypairCreateV210 = create({ type: true, userId: true });

export interface KeypairCreateBody {
  keypair: { name: string; public_key?: string; type?: 'ssh' | 'x509'; user_id?: string };
}

/** Query parameters Nova knows (enforced from 2.75). */
export const KEYPAIR_INDEX_QUERY = ['user_id', 'limit', 'marker'] as const;
export const KEYPAIR_ITEM_QUERY = ['user_id'] as const;
