/** Policy blob bodies (keystone/policy/schema.py); the blob is bounded here, unbounded there. */
const properties = { blob: { type: 'string', maxLength: 65535 }, type: { type: 'string', maxLength: 255 } } as const;

export const policyCreate = { type: 'object', properties, required: ['blob', 'type'], additionalProperties: true } as const;
export const policyUpdate = { type: 'object', properties, minProperties: 1, additionalProperties: true } as const;
