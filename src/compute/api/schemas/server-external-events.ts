/** POST /os-server-external-events: the event names grow with the microversion (Nova's schemas/server_external_events.py). */
import { UUID_PATTERN } from './common.js';

const BASE_NAMES = ['network-changed', 'network-vif-plugged', 'network-vif-unplugged', 'network-vif-deleted'];
const ADDED: Array<[version: string, name: string]> = [
  ['2.51', 'volume-extended'], ['2.76', 'power-update'], ['2.82', 'accelerator-request-bound'], ['2.93', 'volume-reimaged'],
];
export const EVENT_STATUSES = ['failed', 'completed', 'in-progress'];

const cache = new Map<string, object>();

export function externalEventsSchema(atLeast: (v: string) => boolean): object {
  const names = [...BASE_NAMES, ...ADDED.filter(([v]) => atLeast(v)).map(([, n]) => n)];
  const key = names.join(',');
  let schema = cache.get(key);
  if (!schema) {
    schema = {
      type: 'object',
      properties: {
        events: {
          type: 'array', minItems: 1,
          items: {
            type: 'object',
            properties: {
              server_uuid: { type: 'string', pattern: UUID_PATTERN },
              name: { type: 'string', enum: names },
              status: { type: 'string', enum: EVENT_STATUSES },
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
    cache.set(key, schema);
  }
  return schema;
}

export interface ExternalEvent { server_uuid: string; name: string; status?: string; tag?: string }
