/** Request bodies of /images/{id}/metadata (nova/api/openstack/compute/schemas/image_metadata.py). */
import { metadata } from './common.js';

export const imageMetadataCreate = {
  type: 'object', properties: { metadata }, required: ['metadata'], additionalProperties: false,
} as const;

export const imageMetadataUpdate = {
  type: 'object',
  properties: { meta: { ...metadata, minProperties: 1, maxProperties: 1 } },
  required: ['meta'],
  additionalProperties: false,
} as const;
