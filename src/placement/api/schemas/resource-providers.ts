/** Resource provider bodies and the list query (placement/schemas/resource_provider.py). */
import { once, perVersion, uuid } from './common.js';

const name = { type: 'string', minLength: 1, maxLength: 200 } as const;
const parent = { anyOf: [uuid, { type: 'null' }] } as const;

/** POST: 1.14 adds parent_provider_uuid. */
export const providerCreate = perVersion(['1.0', '1.14'], (has) => ({
  type: 'object',
  properties: { name, uuid, ...(has('1.14') ? { parent_provider_uuid: parent } : {}) },
  required: ['name'],
  additionalProperties: false,
}));

/** PUT: 1.14 adds parent_provider_uuid. */
export const providerUpdate = perVersion(['1.0', '1.14'], (has) => ({
  type: 'object',
  properties: { name, ...(has('1.14') ? { parent_provider_uuid: parent } : {}) },
  required: ['name'],
  additionalProperties: false,
}));

/** GET /resource_providers: member_of (1.3), resources (1.4), in_tree (1.14), required (1.18). */
export const providerListQuery = perVersion(['1.0', '1.3', '1.4', '1.14', '1.18'], (has) => ({
  type: 'object',
  properties: {
    name: {},
    uuid: once(uuid),
    ...(has('1.3') ? { member_of: {} } : {}),
    ...(has('1.4') ? { resources: {} } : {}),
    ...(has('1.14') ? { in_tree: {} } : {}),
    ...(has('1.18') ? { required: {} } : {}),
  },
  additionalProperties: false,
}));
