/**
 * Request schemas of the server actions beyond the power actions (Nova's
 * schemas/lock_server.py, reset_server_state.py, admin_password.py and
 * servers.py trigger_crash_dump and rebuild), one per microversion where the shape changes.
 */
import type { APIVersion } from '../../../http/microversion.js';
import { description, hostnameFor, ipv4, ipv6, metadata, name, personality, UUID_PATTERN } from './common.js';

/** 2.73: lock takes an optional reason. Before it Nova has no schema for lock. */
export const lockV273Schema = {
  type: 'object',
  properties: {
    lock: {
      type: ['object', 'null'],
      properties: { locked_reason: { type: 'string', minLength: 1, maxLength: 255 } },
      additionalProperties: false,
    },
  },
  required: ['lock'],
  additionalProperties: false,
} as const;

export const resetStateSchema = {
  type: 'object',
  properties: {
    'os-resetState': {
      type: 'object',
      properties: { state: { type: 'string', enum: ['active', 'error'] } },
      required: ['state'],
      additionalProperties: false,
    },
  },
  required: ['os-resetState'],
  additionalProperties: false,
} as const;

export const changePasswordSchema = {
  type: 'object',
  properties: {
    changePassword: {
      type: 'object',
      properties: { adminPass: { type: 'string' } },
      required: ['adminPass'],
      additionalProperties: false,
    },
  },
  required: ['changePassword'],
  additionalProperties: false,
} as const;

/** 2.17 and later. */
export const triggerCrashDumpSchema = {
  type: 'object',
  properties: { trigger_crash_dump: { type: 'null' } },
  required: ['trigger_crash_dump'],
  additionalProperties: false,
} as const;

export const novaBoolean = {
  type: ['boolean', 'string'],
  enum: [true, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', false, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no'],
} as const;

/** Nova's truthy spellings of its boolean parameter type. */
export function novaBooleanValue(v: unknown): boolean {
  return v === true || (typeof v === 'string' && ['true', '1', 'on', 'yes'].includes(v.toLowerCase()));
}

const rebuildCache = new Map<string, object>();

/** Nova's rebuild schemas: 2.1, 2.19 (description), 2.54 (key_name), 2.57 (user_data, no personality), 2.63 (trusted certificates), 2.90 (hostname), 2.94 (an FQDN hostname). */
export function rebuildSchema(v: APIVersion): object {
  const key = v.atLeast('2.94') ? '2.94' : v.atLeast('2.90') ? '2.90' : v.atLeast('2.63') ? '2.63' : v.atLeast('2.57') ? '2.57' : v.atLeast('2.54') ? '2.54' : v.atLeast('2.19') ? '2.19' : '2.1';
  let s = rebuildCache.get(key);
  if (!s) {
    const p: Record<string, unknown> = {
      name, imageRef: { type: 'string', pattern: UUID_PATTERN }, adminPass: { type: 'string' }, metadata,
      preserve_ephemeral: novaBoolean, 'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] },
      accessIPv4: ipv4, accessIPv6: ipv6,
    };
    if (!v.atLeast('2.57')) p.personality = personality;
    if (v.atLeast('2.19')) p.description = description;
    if (v.atLeast('2.54')) p.key_name = { oneOf: [{ type: 'string', minLength: 1, maxLength: 255 }, { type: 'null' }] };
    if (v.atLeast('2.57')) p.user_data = { oneOf: [{ type: 'string', maxLength: 65535 }, { type: 'null' }] };
    if (v.atLeast('2.63')) p.trusted_image_certificates = { type: ['array', 'null'], minItems: 1, maxItems: 50, uniqueItems: true, items: { type: 'string', minLength: 1 } };
    const hostname = hostnameFor(v);
    if (hostname) p.hostname = hostname;
    s = {
      type: 'object',
      properties: { rebuild: { type: 'object', properties: p, required: ['imageRef'], additionalProperties: false } },
      required: ['rebuild'],
      additionalProperties: false,
    };
    rebuildCache.set(key, s);
  }
  return s;
}

export const rescueSchema = {
  type: 'object',
  properties: {
    rescue: {
      type: ['object', 'null'],
      properties: { adminPass: { type: 'string' }, rescue_image_ref: { type: 'string', pattern: UUID_PATTERN } },
      additionalProperties: false,
    },
  },
  required: ['rescue'],
  additionalProperties: false,
} as const;

/** Nova's image metadata (parameter_types.metadata); values also refuse NUL, which the image store cannot keep. */
const imageMetadata = {
  type: 'object',
  patternProperties: { '^[a-zA-Z0-9-_:. ]{1,255}$': { type: 'string', maxLength: 255, pattern: '^[^\\u0000]*$' } },
  additionalProperties: false,
} as const;
const imageName = { allOf: [name, { pattern: '^[^\\u0000]*$' }] } as const;

export const createImageSchema = {
  type: 'object',
  properties: {
    createImage: {
      type: 'object',
      properties: { name: imageName, metadata: imageMetadata },
      required: ['name'],
      additionalProperties: false,
    },
  },
  required: ['createImage'],
  additionalProperties: false,
} as const;

export const createBackupSchema = {
  type: 'object',
  properties: {
    createBackup: {
      type: 'object',
      properties: {
        name: imageName,
        backup_type: { type: 'string', pattern: '^[^\\u0000]*$' },
        rotation: { type: ['integer', 'string'], pattern: '^[0-9]*$', minimum: 0, minLength: 1 },
        metadata: imageMetadata,
      },
      required: ['name', 'backup_type', 'rotation'],
      additionalProperties: false,
    },
  },
  required: ['createBackup'],
  additionalProperties: false,
} as const;

export const resizeSchema = {
  type: 'object',
  properties: {
    resize: {
      type: 'object',
      properties: {
        flavorRef: { type: ['string', 'integer'], minLength: 1 },
        'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] },
      },
      required: ['flavorRef'],
      additionalProperties: false,
    },
  },
  required: ['resize'],
  additionalProperties: false,
} as const;

/** 2.56: migrate takes an optional destination host. */
export const migrateV256Schema = {
  type: 'object',
  properties: {
    migrate: {
      type: ['object', 'null'],
      properties: { host: { type: ['string', 'null'], minLength: 1, maxLength: 255 } },
      additionalProperties: false,
    },
  },
  required: ['migrate'],
  additionalProperties: false,
} as const;
