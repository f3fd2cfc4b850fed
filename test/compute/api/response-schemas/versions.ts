/** The version documents: GET /compute (all versions) and GET /compute/v2, /compute/v2.1 (one). */
import { obj, wrap, list, str, arrayOf, dateTime, ok, type Schema, type VersionedSpec } from './common.js';

const versionLink = obj({ href: { type: 'string', format: 'uri' }, rel: str, type: str }, ['href', 'rel']);
const mediaType = obj({ base: str, type: str });
const versionPattern = { type: 'string', pattern: '^(2\\.[0-9]+)?$' };
const version: Schema = obj({
  id: { enum: ['v2.0', 'v2.1'] }, status: { enum: ['CURRENT', 'SUPPORTED', 'DEPRECATED'] }, version: versionPattern,
  min_version: versionPattern, updated: dateTime, links: arrayOf(versionLink), 'media-types': arrayOf(mediaType),
}, ['id', 'status', 'version', 'min_version', 'updated', 'links']);

export const versions: Record<string, VersionedSpec> = {
  'GET /': () => ok(list('versions', version)),
  'GET /v2': () => ok(wrap('version', version)),
  'GET /v2.1': () => ok(wrap('version', version)),
};
