/** Request bodies of /os-aggregates and its actions (Nova's schemas/aggregates.py, 2.1 on). */

/** A zone name: no leading or trailing white space, and no ':' (that separates zone from host in a server's zone). */
const azName = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^\\s:](?:[^:]*[^\\s:])?$' } as const;
const azOrNull = { oneOf: [azName, { type: 'null' }] } as const;
const aggregateName = { type: 'string', minLength: 1, maxLength: 255, pattern: '^\\S(?:[\\s\\S]*\\S)?$' } as const;
/** Update keeps Nova's looser name rule (white space at the ends is trimmed, not refused). */
const looseName = { type: 'string', minLength: 1, maxLength: 255, pattern: '\\S' } as const;
/** A host name as the services table has it (underscores allowed, as Nova does). */
const fqdn = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._]*$' } as const;

const wrap = (key: string, inner: object) => ({
  type: 'object',
  properties: { [key]: inner },
  required: [key],
  additionalProperties: false,
}) as const;

export const createAggregateBody = wrap('aggregate', {
  type: 'object',
  properties: { name: aggregateName, availability_zone: azOrNull },
  required: ['name'],
  additionalProperties: false,
});

export const updateAggregateBody = wrap('aggregate', {
  type: 'object',
  properties: { name: looseName, availability_zone: azOrNull },
  additionalProperties: false,
  anyOf: [{ required: ['name'] }, { required: ['availability_zone'] }],
});

const hostBody = { type: 'object', properties: { host: fqdn }, required: ['host'], additionalProperties: false } as const;
export const addHostBody = wrap('add_host', hostBody);
export const removeHostBody = wrap('remove_host', hostBody);

export const setMetadataBody = wrap('set_metadata', {
  type: 'object',
  properties: {
    metadata: {
      type: 'object',
      patternProperties: { '^[a-zA-Z0-9-_:. ]{1,255}$': { type: ['string', 'null'], maxLength: 255 } },
      additionalProperties: false,
    },
  },
  required: ['metadata'],
  additionalProperties: false,
});

/** POST /os-aggregates/{id}/images (2.81): the images to pre-cache. */
export const cacheImagesBody = {
  type: 'object',
  properties: {
    cache: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: { id: { type: 'string', pattern: '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$' } },
        required: ['id'],
        additionalProperties: false,
      },
    },
  },
  required: ['cache'],
  additionalProperties: false,
} as const;

export interface CreateAggregateBody { aggregate: { name: string; availability_zone?: string | null } }
export interface UpdateAggregateBody { aggregate: { name?: string; availability_zone?: string | null } }
export interface HostActionBody { host: string }
export interface SetMetadataBody { set_metadata: { metadata: Record<string, string | null> } }
