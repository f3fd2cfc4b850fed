/**
 * Request bodies of os-migrateLive, evacuate and the server-migration
 * force_complete action, per microversion as Nova's schemas shape them.
 */
const novaBoolean = {
  type: ['boolean', 'string'],
  enum: [true, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', false, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no'],
} as const;

const fqdn = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._]*$' } as const;
const nullableHost = { ...fqdn, type: ['string', 'null'] } as const;

function action(name: string, properties: Record<string, unknown>, required: string[]) {
  return {
    type: 'object',
    properties: { [name]: { type: 'object', properties, ...(required.length > 0 ? { required } : {}), additionalProperties: false } },
    required: [name],
    additionalProperties: false,
  } as const;
}

/** 2.0 – 2.24: block_migration, disk_over_commit and host, all required. */
export const migrateLiveSchema = action('os-migrateLive', { block_migration: novaBoolean, disk_over_commit: novaBoolean, host: nullableHost }, ['block_migration', 'disk_over_commit', 'host']);
/** 2.25 – 2.29 and 2.68 on: disk_over_commit gone, block_migration may be 'auto'. */
export const migrateLiveV225Schema = action('os-migrateLive', {
  block_migration: { ...novaBoolean, enum: [...novaBoolean.enum, 'auto'] }, host: nullableHost,
}, ['block_migration', 'host']);
/** 2.30 – 2.67: force. */
export const migrateLiveV230Schema = action('os-migrateLive', {
  block_migration: { ...novaBoolean, enum: [...novaBoolean.enum, 'auto'] }, host: nullableHost, force: novaBoolean,
}, ['block_migration', 'host']);

/** 2.0 – 2.13: onSharedStorage required. */
export const evacuateSchema = action('evacuate', { host: fqdn, onSharedStorage: novaBoolean, adminPass: { type: 'string' } }, ['onSharedStorage']);
/** 2.14 – 2.28 and 2.68 on. */
export const evacuateV214Schema = action('evacuate', { host: fqdn, adminPass: { type: 'string' } }, []);
/** 2.29 – 2.67: force. */
export const evacuateV229Schema = action('evacuate', { host: fqdn, adminPass: { type: 'string' }, force: novaBoolean }, []);

export const forceCompleteSchema = {
  type: 'object',
  properties: { force_complete: { type: 'null' } },
  required: ['force_complete'],
  additionalProperties: false,
} as const;
