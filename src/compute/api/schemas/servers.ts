/**
 * Request schemas of /servers, per microversion (as Nova's schemas/servers.py).
 * Each function returns one schema object per version range, built once.
 */
import type { APIVersion } from '../../../http/microversion.js';
import { booleanLike, description, hostnameFor, ipAddress, ipv4, ipv6, metadata, name, personality, positiveIntegerOrDigits, UUID_PATTERN } from './common.js';

const network = {
  type: 'object',
  properties: {
    fixed_ip: ipAddress,
    port: { oneOf: [{ type: 'string', pattern: UUID_PATTERN }, { type: 'null' }] },
    uuid: { type: 'string' },
  },
  additionalProperties: false,
} as const;

const taggedNetwork = { ...network, properties: { ...network.properties, tag: { type: 'string', maxLength: 60, pattern: '^[^,/]*$' } } };

const bdmV2 = {
  type: 'object',
  properties: {
    source_type: { type: 'string', enum: ['volume', 'image', 'snapshot', 'blank'] },
    destination_type: { type: 'string', enum: ['local', 'volume'] },
    uuid: { type: 'string', pattern: '^[a-zA-Z0-9._-]*$', minLength: 1, maxLength: 255 },
    boot_index: { type: ['integer', 'string', 'null'], pattern: '^-?[0-9]+$' },
    device_name: { type: 'string', minLength: 1, maxLength: 255 },
    volume_size: { type: ['integer', 'string'], pattern: '^[0-9]+$', minimum: 1 },
    delete_on_termination: booleanLike,
    guest_format: { type: 'string', maxLength: 255 },
    disk_bus: { type: 'string', maxLength: 255 },
    device_type: { type: 'string', maxLength: 255 },
    no_device: {},
    connection_info: { type: 'string', maxLength: 16777215 },
    snapshot_id: { type: 'string' }, volume_id: { type: 'string' },
    tag: { type: 'string', maxLength: 60 }, volume_type: { type: ['string', 'null'] },
  },
  additionalProperties: false,
} as const;

function serverProperties(v: APIVersion): Record<string, unknown> {
  const p: Record<string, unknown> = {
    name,
    imageRef: { type: 'string', maxLength: 2048 },
    flavorRef: { anyOf: [{ type: 'string', minLength: 1, maxLength: 255 }, { type: 'integer', minimum: 0 }] },
    adminPass: { type: 'string' },
    metadata,
    networks: { type: 'array', items: v.atLeast('2.32') ? taggedNetwork : network },
    'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] },
    accessIPv4: ipv4,
    accessIPv6: ipv6,
    availability_zone: { type: 'string', minLength: 1, maxLength: 255 },
    block_device_mapping: { type: 'array' },
    block_device_mapping_v2: { type: 'array', items: bdmV2 },
    config_drive: booleanLike,
    key_name: { type: 'string', minLength: 1, maxLength: 255 },
    min_count: positiveIntegerOrDigits,
    max_count: positiveIntegerOrDigits,
    return_reservation_id: booleanLike,
    security_groups: { type: 'array', items: { type: 'object', properties: { name: { type: 'string', minLength: 1, maxLength: 255 } }, additionalProperties: false } },
    user_data: { type: 'string', maxLength: 65535 },
  };
  if (!v.atLeast('2.57')) p.personality = personality;
  if (v.atLeast('2.19')) p.description = description;
  if (v.atLeast('2.37')) p.networks = { oneOf: [{ type: 'array', items: taggedNetwork }, { type: 'string', enum: ['none', 'auto'] }] };
  if (v.atLeast('2.52')) p.tags = { type: 'array', items: { type: 'string', minLength: 1, maxLength: 60, pattern: '^[^,/]*$' }, maxItems: 50 };
  if (v.atLeast('2.63')) p.trusted_image_certificates = { type: ['array', 'null'], minItems: 1, maxItems: 50, uniqueItems: true, items: { type: 'string', minLength: 1 } };
  if (v.atLeast('2.74')) {
    p.host = { type: 'string', minLength: 1, maxLength: 255 };
    p.hypervisor_hostname = { type: 'string', minLength: 1, maxLength: 255 };
  }
  const hostname = hostnameFor(v);
  if (hostname) p.hostname = hostname;
  return p;
}

const createCache = new Map<string, object>();

export function createServerSchema(v: APIVersion): object {
  const key = v.atLeast('2.94') ? '2.94' : v.atLeast('2.90') ? '2.90' : v.atLeast('2.74') ? '2.74' : v.atLeast('2.63') ? '2.63' : v.atLeast('2.57') ? '2.57' : v.atLeast('2.52') ? '2.52'
    : v.atLeast('2.37') ? '2.37' : v.atLeast('2.32') ? '2.32' : v.atLeast('2.19') ? '2.19' : '2.1';
  let s = createCache.get(key);
  if (!s) {
    s = {
      type: 'object',
      properties: {
        server: {
          type: 'object',
          properties: serverProperties(v),
          required: v.atLeast('2.37') ? ['name', 'flavorRef', 'networks'] : ['name', 'flavorRef'],
          additionalProperties: false,
        },
        // Nova checks only the group hint's shape; the others pass through to the scheduler.
        'os:scheduler_hints': { type: 'object', properties: { group: { type: 'string', pattern: UUID_PATTERN } } },
        'OS-SCH-HNT:scheduler_hints': { type: 'object', properties: { group: { type: 'string', pattern: UUID_PATTERN } } },
      },
      required: ['server'],
      additionalProperties: false,
    };
    createCache.set(key, s);
  }
  return s;
}

const updateCache = new Map<string, object>();

export function updateServerSchema(v: APIVersion): object {
  const key = v.atLeast('2.94') ? '2.94' : v.atLeast('2.90') ? '2.90' : v.atLeast('2.19') ? '2.19' : '2.1';
  let s = updateCache.get(key);
  if (!s) {
    const props: Record<string, unknown> = { name, accessIPv4: ipv4, accessIPv6: ipv6, 'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] } };
    if (v.atLeast('2.19')) props.description = description;
    const hostname = hostnameFor(v);
    if (hostname) props.hostname = hostname;
    s = {
      type: 'object',
      properties: { server: { type: 'object', properties: props, additionalProperties: false } },
      required: ['server'],
      additionalProperties: false,
    };
    updateCache.set(key, s);
  }
  return s;
}

export const rebootSchema = {
  type: 'object',
  properties: { reboot: { type: 'object', properties: { type: { type: 'string', enum: ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft'] } }, required: ['type'], additionalProperties: false } },
  required: ['reboot'],
  additionalProperties: false,
} as const;

export const consoleOutputSchema = {
  type: 'object',
  properties: {
    'os-getConsoleOutput': {
      type: 'object',
      properties: { length: { anyOf: [{ type: 'integer', minimum: -1 }, { type: 'string', pattern: '^-?[0-9]+$' }, { type: 'null' }] } },
      additionalProperties: false,
    },
  },
  required: ['os-getConsoleOutput'],
  additionalProperties: false,
} as const;
