/** Keystone's parameter types (keystone/common/validation/parameter_types.py). */

export const boolean = { type: 'boolean' } as const;

/** A name: 1-255 characters with at least one that is not white space. */
export const name = { type: 'string', minLength: 1, maxLength: 255, pattern: '\\S' } as const;

export const idString = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9-]+$' } as const;

/** Keystone leaves descriptions unbounded; we cap them so a row stays a row. */
export const nullableDescription = { type: ['string', 'null'], maxLength: 65535 } as const;

export const url = { type: 'string', minLength: 0, maxLength: 225, pattern: '^[a-zA-Z0-9+.-]+:.+' } as const;
