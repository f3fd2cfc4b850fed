/**
 * Request schema of POST /os-server-external-events, per microversion: each
 * adds an event name (2.51 volume-extended, 2.76 power-update, 2.82
 * accelerator-request-bound, 2.93 volume-reimaged).
 */
import type { APIVersion } from '../../../http/microversion.js';
import { UUID_PATTERN } from './common.js';

const NAMES_BY_VERSION: Array<[string, string]> = [
  ['2.51', 'volume-extended'], ['2.76', 'power-update'], ['2.82', 'accelerator-request-bound'], ['2.93', 'volume-reimaged'],
];
const BASE_NAMES = ['network-changed', 'network-vif-plugged', 'network-vif-unplugged', 'network-vif-deleted'];

/** Events that mean nothing without a tag (the volume, the power state, the accelerator request). */
export const TAG_REQUIRED = new Set(['volume-extended', 'power-update', 'accelerator-request-bound']);

export interface ExternalEvent {
  server_uuid: string;
  name: string;
  status?: 'failed' | 'completed' | 'in-progress';
  tag?: string;
}

const cache = new Map<number, object>();

export function externalEventsSchema(v: APIVersion): object {
  const names = [...BASE_NAMES, ...NAMES_BY_VERSION.filter(([min]) => v.atLeast(min)).map(([, name]) => name)];
  let s = cache.get(names.length);
  if (!s) {
    s = {
      type: 'object',
      properties: {
        events: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            properties: {
              server_uuid: { type: 'string', pattern: UUID_PATTERN },
              name: { type: 'string', enum: names },
              status: { type: 'string', enum: ['failed', 'completed', 'in-progress'] },
              tag: { type: 'string', maxLength: 255 },
            },
            required: ['server_uuid', 'name'],
            additionalProperties: false,
          },
        },
      },
      required: ['events'],
      additionalProperties: false,
    };
    cache.set(names.length, s);
  }
  return s;
}
