/** Region, service and endpoint bodies (keystone/catalog/schema.py). */
import { BadRequest } from '../../../errors.js';
import { boolean, name, nullableDescription, url } from './common.js';

// '.' and '..' could never be named in a URL again (clients resolve them as path steps).
const regionId = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^/]+$', not: { enum: ['.', '..'] } } as const;

const regionProperties = {
  description: nullableDescription,
  id: regionId,
  parent_region_id: { type: ['string', 'null'], maxLength: 255 },
} as const;
export const regionCreate = { type: 'object', properties: regionProperties, additionalProperties: true } as const;
export const regionUpdate = { type: 'object', properties: regionProperties, minProperties: 1, additionalProperties: true } as const;

const serviceProperties = {
  enabled: boolean,
  name,
  type: { type: 'string', minLength: 1, maxLength: 255 },
  description: nullableDescription,
} as const;
export const serviceCreate = { type: 'object', properties: serviceProperties, required: ['type'], additionalProperties: true } as const;
export const serviceUpdate = { type: 'object', properties: serviceProperties, minProperties: 1, additionalProperties: true } as const;

const endpointProperties = {
  enabled: boolean,
  interface: { type: 'string', enum: ['admin', 'internal', 'public'] },
  region_id: { type: ['string', 'null'], maxLength: 255 },
  // The legacy spelling makes the region when it is missing, so it must be a region id that can be.
  region: { anyOf: [regionId, { type: 'null' }] },
  service_id: { type: 'string', maxLength: 64 },
  url,
} as const;
export const endpointCreate = {
  type: 'object', properties: endpointProperties, required: ['interface', 'service_id', 'url'], additionalProperties: true,
} as const;
export const endpointUpdate = { type: 'object', properties: endpointProperties, minProperties: 1, additionalProperties: true } as const;

/** PUT /v3/regions/{id}: a body may repeat the URL's id, not name another. */
export function checkRegionIdOnCreate(urlId: string, body: Record<string, unknown>): void {
  // The URL's id must fit what a body's may be (the column holds 255 characters).
  if (urlId.length > regionId.maxLength) {
    throw new BadRequest(`Invalid input for field 'id': '${urlId.slice(0, 32)}…' is too long (at most ${regionId.maxLength} characters).`);
  }
  if (urlId === '.' || urlId === '..') throw new BadRequest(`Invalid input for field 'id': '${urlId}' cannot name a region.`);
  if (body.id !== undefined && body.id !== urlId) {
    throw new BadRequest('Conflicting region IDs specified: the URL names one region and the body another.');
  }
}

export function checkRegionIdOnUpdate(urlId: string, body: Record<string, unknown>): void {
  if (body.id !== undefined && body.id !== urlId) throw new BadRequest('The ID of a region cannot be changed.');
}
