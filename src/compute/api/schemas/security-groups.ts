/**
 * Request bodies of os-security-groups, os-security-group-rules and the
 * add/removeSecurityGroup actions. Nova checks these by hand (see
 * security_groups.py); these schemas accept what it accepts.
 */
const text255 = { type: 'string', maxLength: 255 } as const;

export const securityGroupBody = {
  type: 'object',
  properties: {
    security_group: {
      type: 'object',
      properties: { name: text255, description: text255 },
      required: ['name', 'description'],
    },
  },
  required: ['security_group'],
} as const;

const portValue = { anyOf: [{ type: 'integer' }, { type: 'string', maxLength: 20 }, { type: 'null' }] } as const;
const uuidText = { type: ['string', 'null'], maxLength: 255 } as const;

export const securityGroupRuleBody = {
  type: 'object',
  properties: {
    security_group_rule: {
      type: 'object',
      properties: {
        parent_group_id: { type: ['string', 'null'], maxLength: 255 },
        group_id: uuidText,
        ip_protocol: { type: ['string', 'null'], maxLength: 40 },
        from_port: portValue,
        to_port: portValue,
        cidr: { type: ['string', 'null'], maxLength: 255 },
      },
    },
  },
  required: ['security_group_rule'],
} as const;

export const securityGroupActionName = { type: 'string', maxLength: 255 } as const;
