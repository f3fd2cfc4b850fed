/**
 * What an image change is, and which attributes no change may touch: the
 * read-only ones Glance computes and the reserved ones it keeps for itself.
 * Reading a PATCH body into changes is the API's (api/patch.ts).
 */
import { Forbidden } from '../errors.js';
import { IMAGE_PROPERTIES } from './schemas.js';

export type PatchOp = 'add' | 'remove' | 'replace';

export interface ImageChange {
  op: PatchOp;
  /** The attribute (Glance only patches top-level attributes, and locations). */
  path: string;
  value?: unknown;
  /** Draft 4 (the v2.0 media type) refuses to add an attribute that exists. */
  draft: 4 | 10;
}

export const READONLY_ATTRIBUTES: ReadonlySet<string> = new Set([
  'created_at', 'updated_at', 'status', 'checksum', 'size', 'virtual_size', 'direct_url', 'self', 'file',
  'schema', 'id', 'os_hash_algo', 'os_hash_value', 'stores',
]);
export const RESERVED_ATTRIBUTES: ReadonlySet<string> = new Set(['location', 'deleted', 'deleted_at']);
/** Glance keeps the os_glance* namespace for its own bookkeeping. */
export const RESERVED_NAMESPACE = 'os_glance';

export function checkWritableAttribute(name: string): void {
  if (READONLY_ATTRIBUTES.has(name)) throw new Forbidden(`Attribute '${name}' is read-only.`);
  if (RESERVED_ATTRIBUTES.has(name) || name.startsWith(RESERVED_NAMESPACE)) throw new Forbidden(`Attribute '${name}' is reserved.`);
}

export function isBaseAttribute(name: string): boolean {
  return Object.hasOwn(IMAGE_PROPERTIES, name);
}
