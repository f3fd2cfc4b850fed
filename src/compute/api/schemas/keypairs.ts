/** Request schemas for /os-keypairs, per microversion as Nova defines them. */

const keypairName = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[_\\- a-zA-Z0-9]+$' };
/** 2.92 widens the name to e-mail-like forms (user@host.example), which key pairs are often named after. */
const keypairNameV292 = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[@._\\- a-zA-Z0-9]+$' };

function create(fields: { type?: boolean; userId?: boolean; v292?: boolean }): Record<string, unknown> {
  const properties: Record<string, unknown> = { name: fields.v292 ? keypairNameV292 : keypairName, public_key: { type: 'string' } };
  if (fields.type) properties.type = { type: 'string', enum: ['ssh', 'x509'] };
  if (fields.userId) properties.user_id = { type: 'string' };
  return {
    type: 'object',
    // From 2.92 the server no longer generates key pairs: the caller brings the public key.
    properties: { keypair: { type: 'object', properties, required: fields.v292 ? ['name', 'public_key'] : ['name'], additionalProperties: false } },
    required: ['keypair'],
    additionalProperties: false,
  };
}

export const keypairCreateV21 = create({});
export const keypairCreateV22 = create({ type: true });
export const keypairCreateV210 = create({ type: true, userId: true });
export const keypairCreateV292 = create({ type: true, userId: true, v292: true });

export interface KeypairCreateBody {
  keypair: { name: string; public_key?: string; type?: 'ssh' | 'x509'; user_id?: string };
}

/** Query parameters Nova knows (enforced from 2.75). */
export const KEYPAIR_INDEX_QUERY = ['user_id', 'limit', 'marker'] as const;
export const KEYPAIR_ITEM_QUERY = ['user_id'] as const;
