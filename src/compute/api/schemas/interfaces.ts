/**
 * Request schema of POST /servers/{id}/os-interface (Nova's
 * schemas/attach_interfaces.py); 2.49 adds a device tag.
 */
import { ipAddress, UUID_PATTERN } from './common.js';

const UUID = { type: 'string', pattern: UUID_PATTERN } as const;

const attachment = {
  type: 'object',
  properties: {
    net_id: UUID,
    port_id: UUID,
    fixed_ips: {
      type: 'array', minItems: 1, maxItems: 1,
      items: { type: 'object', properties: { ip_address: ipAddress }, required: ['ip_address'], additionalProperties: false },
    },
  },
  additionalProperties: false,
} as const;

export const attachInterfaceSchema = {
  type: 'object',
  properties: { interfaceAttachment: attachment },
  additionalProperties: false,
} as const;

export const attachInterfaceV249Schema = {
  type: 'object',
  properties: {
    interfaceAttachment: { ...attachment, properties: { ...attachment.properties, tag: { type: 'string', maxLength: 60, pattern: '^[^,/]*$' } } },
  },
  additionalProperties: false,
} as const;
