/** Parameter types shared by the compute API's request schemas (Nova's parameter_types). */

/** Files to inject (before 2.57): each a path and its contents in base64. */
export const personality = {
  type: 'array',
  items: { type: 'object', properties: { path: { type: 'string' }, contents: { type: 'string', format: 'base64' } }, additionalProperties: false },
} as const;

export const UUID_PATTERN = '^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$';

/** A name: 1-255 characters, no leading or trailing white space. */
export const name = { type: 'string', minLength: 1, maxLength: 255, pattern: '^\\S(?:[\\s\\S]*\\S)?$' } as const;

export const description = { type: ['string', 'null'], minLength: 0, maxLength: 255 } as const;

/** Metadata: string keys 1-255 characters, string values up to 255. */
export const metadata = {
  type: 'object',
  patternProperties: { '^[\\s\\S]{1,255}$': { type: 'string', maxLength: 255 } },
  additionalProperties: false,
} as const;

export const positiveIntegerOrDigits = {
  oneOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^[1-9][0-9]*$' }],
} as const;

export const ipv4 = { type: 'string', pattern: '^(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}$' } as const;
export const ipv6 = { type: 'string', pattern: '^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*$' } as const;
export const ipAddress = { anyOf: [ipv4, ipv6] } as const;

/** A DNS label (2.90's hostname): letters, digits and inner hyphens, 2-63 characters. */
export const hostnameLabel = { type: 'string', minLength: 2, maxLength: 63, pattern: '^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$' } as const;

/** A fully qualified domain name (2.94's hostname); underscores pass because real systems use them. */
export const fqdn = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._]*$' } as const;

/** The hostname a server may be given at this microversion (none before 2.90). */
export function hostnameFor(v: { atLeast(x: string): boolean }): object | undefined {
  return v.atLeast('2.94') ? fqdn : v.atLeast('2.90') ? hostnameLabel : undefined;
}

export const booleanLike = {
  anyOf: [{ type: 'boolean' }, { type: 'string', enum: ['True', 'False', 'true', 'false', '1', '0', 'yes', 'no', 'on', 'off', 't', 'f', 'y', 'n', 'TRUE', 'FALSE'] }],
} as const;
