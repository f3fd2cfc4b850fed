/**
 * Request schemas of the server actions beyond the power actions (Nova's
 * schemas/lock_server.py, reset_server_state.py, admin_password.py and
 * servers.py trigger_crash_dump), one per microversion where the shape changes.
 */

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
