/** Request body of POST /os-server-groups, per microversion (Nova's schemas/server_groups.py). */
import { name } from './common.js';

const HARD = ['anti-affinity', 'affinity'];
const ALL = [...HARD, 'soft-anti-affinity', 'soft-affinity'];

function withPolicies(allowed: string[]) {
  return {
    type: 'object',
    properties: {
      server_group: {
        type: 'object',
        properties: {
          name,
          policies: { type: 'array', items: { type: 'string', enum: allowed }, uniqueItems: true, minItems: 1, maxItems: 1 },
        },
        required: ['name', 'policies'],
        additionalProperties: false,
      },
    },
    required: ['server_group'],
    additionalProperties: false,
  } as const;
}

const createV21 = withPolicies(HARD);
const createV215 = withPolicies(ALL);
const createV264 = {
  type: 'object',
  properties: {
    server_group: {
      type: 'object',
      properties: {
        name,
        policy: { type: 'string', enum: ALL },
        rules: {
          type: 'object',
          properties: {
            max_server_per_host: { oneOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^[0-9]*$', minLength: 1 }] },
          },
          additionalProperties: false,
        },
      },
      required: ['name', 'policy'],
      additionalProperties: false,
    },
  },
  required: ['server_group'],
  additionalProperties: false,
} as const;

export function createServerGroupSchema(atLeast: (v: string) => boolean): object {
  return atLeast('2.64') ? createV264 : atLeast('2.15') ? createV215 : createV21;
}
