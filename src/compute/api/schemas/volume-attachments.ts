/**
 * Request schemas of /servers/{id}/os-volume_attachments, per microversion:
 * attach gains `tag` at 2.49 and `delete_on_termination` at 2.79; update is a
 * volume swap (volumeId only) until 2.85 lets it carry the attachment's own
 * fields, of which only delete_on_termination may change.
 */
import type { APIVersion } from '../../../http/microversion.js';
import { UUID_PATTERN } from './common.js';
import { novaBoolean } from './server-actions.js';

const volumeId = { type: 'string', pattern: UUID_PATTERN } as const;
const device = { type: ['string', 'null'], pattern: '(^/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$' } as const;
const tag = { type: 'string', minLength: 1, maxLength: 60, pattern: '^[^,/]*$' } as const;

function body(properties: Record<string, unknown>): object {
  return {
    type: 'object',
    properties: { volumeAttachment: { type: 'object', properties, required: ['volumeId'], additionalProperties: false } },
    required: ['volumeAttachment'],
    additionalProperties: false,
  };
}

const ATTACH_V21 = body({ volumeId, device });
const ATTACH_V249 = body({ volumeId, device, tag });
const ATTACH_V279 = body({ volumeId, device, tag, delete_on_termination: novaBoolean });
const SWAP = body({ volumeId });
const UPDATE_V285 = body({
  volumeId, device, tag, delete_on_termination: novaBoolean,
  serverId: { type: 'string', pattern: UUID_PATTERN }, id: { type: 'string', pattern: UUID_PATTERN },
});

export function attachVolumeSchema(v: APIVersion): object {
  return v.atLeast('2.79') ? ATTACH_V279 : v.atLeast('2.49') ? ATTACH_V249 : ATTACH_V21;
}

export function updateVolumeAttachmentSchema(v: APIVersion): object {
  return v.atLeast('2.85') ? UPDATE_V285 : SWAP;
}

/** Query parameters of the list (refused when unknown from 2.75). */
export const VOLUME_ATTACHMENT_INDEX_QUERY = ['limit', 'offset'] as const;
