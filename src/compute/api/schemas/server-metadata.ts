/** Server metadata bodies (nova/api/openstack/compute/schemas/server_metadata.py). */
import { BadRequest } from '../../../errors.js';
import { metadata } from './common.js';

export const metadataBody = { type: 'object', properties: { metadata }, required: ['metadata'], additionalProperties: false } as const;

export const metaBody = {
  type: 'object',
  properties: { meta: { ...metadata, minProperties: 1, maxProperties: 1 } },
  required: ['meta'],
  additionalProperties: false,
} as const;

/** Nova names a `meta` of several items in its own words, before the schema would. */
export function checkOneItem(body: unknown): void {
  const meta = (body as { meta?: unknown } | null | undefined)?.meta;
  if (meta && typeof meta === 'object' && Object.keys(meta).length > 1) throw new BadRequest('Request body contains too many items');
}
