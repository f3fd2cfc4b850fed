/**
 * Reading an image PATCH body (application/openstack-images-v2.1-json-patch,
 * or the older v2.0 draft-4 form) into changes, refusing what Glance refuses
 * before anything is touched: malformed operations and pointers (400),
 * read-only and reserved attributes (403), values the image schema rejects
 * (400). The operations and pointers are JSON Patch's grammar, read here as
 * Glance reads them; each value goes through the image schema.
 */
import { BadRequest } from '../../errors.js';
import { glance, showValue, validate } from '../../http/validation.js';
import { checkWritableAttribute, type ImageChange, type PatchOp } from '../patch.js';
import { imageAttribute } from './schemas/images.js';

export const PATCH_MEDIA_TYPES = {
  'application/openstack-images-v2.0-json-patch': 4,
  'application/openstack-images-v2.1-json-patch': 10,
} as const;
export type PatchMediaType = keyof typeof PATCH_MEDIA_TYPES;

const OPS: readonly PatchOp[] = ['add', 'remove', 'replace'];

function operationOf(raw: Record<string, unknown>, draft: 4 | 10): { op: PatchOp; pointer: unknown } {
  if (draft === 10) {
    const op = raw.op;
    if (op === undefined) throw new BadRequest(`Unable to find \`op\` in JSON Schema change. It must be one of the following: ${OPS.join(', ')}.`);
    if (typeof op !== 'string' || !OPS.includes(op as PatchOp)) {
      throw new BadRequest(`Invalid operation: \`${showValue(op)}\`. It must be one of the following: ${OPS.join(', ')}.`);
    }
    if (!('path' in raw)) throw new BadRequest("Unable to find 'path' in JSON Schema change");
    return { op: op as PatchOp, pointer: raw.path };
  }
  const present = OPS.filter((o) => o in raw);
  if (present.length !== 1) throw new BadRequest('Operation objects must contain exactly one member named "add", "remove", or "replace".');
  return { op: present[0]!, pointer: raw[present[0]!] };
}

/** A JSON pointer to one attribute: "/name", with ~1 and ~0 escapes. */
function decodePointer(pointer: unknown): string[] {
  if (typeof pointer !== 'string') throw new BadRequest('Pointer must be a string.');
  if (!pointer.startsWith('/')) throw new BadRequest(`Pointer \`${pointer}\` does not start with "/".`);
  if (/\/\s*\//.test(pointer.slice(1))) throw new BadRequest(`Pointer \`${pointer}\` contains adjacent "/".`);
  if (pointer.length > 1 && pointer.endsWith('/')) throw new BadRequest(`Pointer \`${pointer}\` end with "/".`);
  if (/~[^01]/.test(pointer) || pointer.endsWith('~')) {
    throw new BadRequest(`Pointer \`${pointer}\` contains "~" not part of a recognized escape sequence.`);
  }
  return pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~').trim());
}

export function parseImagePatch(body: unknown, mediaType: PatchMediaType): ImageChange[] {
  const draft = PATCH_MEDIA_TYPES[mediaType];
  if (!Array.isArray(body)) throw new BadRequest('Request body must be a JSON array of operation objects.');
  const changes: ImageChange[] = [];
  for (const raw of body) {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new BadRequest('Operations must be JSON objects.');
    const { op, pointer } = operationOf(raw as Record<string, unknown>, draft);
    const path = decodePointer(pointer);
    const root = path[0]!;
    if (root === '' ) throw new BadRequest(`Invalid JSON pointer for this resource: '/${path.join('/')}'`);
    // locations take /locations/N; everything else is one level deep.
    const depth = root === 'locations' ? (op === 'replace' ? 1 : 2) : 1;
    if (path.length !== depth) throw new BadRequest(`Invalid JSON pointer for this resource: '/${path.join('/')}'`);
    const change: ImageChange = { op, path: root, draft };
    if (op !== 'remove') {
      if (!('value' in raw)) throw new BadRequest(`Operation "${op}" requires a member named "value".`);
      change.value = (raw as Record<string, unknown>).value;
    }
    checkWritableAttribute(root);
    if (op !== 'remove' && root !== 'locations') {
      validate(imageAttribute, { [root]: change.value }, glance);
    }
    changes.push(change);
  }
  return changes;
}

