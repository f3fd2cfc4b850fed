/**
 * Request schemas of unshelve (Nova's schemas/shelve.py). Before 2.77 the
 * body is not validated (shelve and shelveOffload never are); 2.77 takes an
 * availability zone, 2.91 a host and a null zone (unpin).
 */
import { name } from './common.js';

/** 2.77–2.90: null, or an object that names the zone ({} is refused). */
export const unshelveV277Schema = {
  type: 'object',
  properties: {
    unshelve: {
      type: ['object', 'null'],
      properties: { availability_zone: name },
      required: ['availability_zone'],
      additionalProperties: false,
    },
  },
  required: ['unshelve'],
  additionalProperties: false,
} as const;

/** 2.91+: null, or an object with an optional zone (a string or null) and host. */
export const unshelveV291Schema = {
  type: 'object',
  properties: {
    unshelve: {
      oneOf: [
        {
          type: 'object',
          properties: {
            availability_zone: { oneOf: [{ type: 'null' }, { type: 'string' }] },
            host: { type: 'string' },
          },
          additionalProperties: false,
        },
        { type: 'null' },
      ],
    },
  },
  required: ['unshelve'],
  additionalProperties: false,
} as const;
