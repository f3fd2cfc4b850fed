/**
 * Image member request bodies. Glance reads them without a JSON schema and
 * words each problem its own way; the schemas below check the same things and
 * the dialect gives Glance's words. The status value itself is checked by the
 * service, after the caller is known to be allowed to answer (as Glance does).
 */
import type { ErrorObject } from 'ajv';
import { BadRequest } from '../../../errors.js';
import type { Dialect } from '../../../http/validation.js';

/** POST /v2/images/{id}/members: {"member": "<project id>"}. */
export const memberCreate = {
  type: 'object',
  required: ['member'],
  properties: {
    // Glance's member column holds 255 characters.
    member: { type: 'string', minLength: 1, maxLength: 255 },
  },
} as const;

/** PUT /v2/images/{id}/members/{member_id}: {"status": ...}. */
export const memberUpdate = {
  type: 'object',
  required: ['status'],
} as const;

function bodyDialect(messages: { notObject: string; missing: string; invalid: (err: ErrorObject) => string }): Dialect {
  return {
    fault(errors, root) {
      if (root === undefined || root === null) return new BadRequest('Body expected in request.');
      const err = errors[0];
      if (!err || err.instancePath === '') {
        return new BadRequest(err?.keyword === 'required' ? messages.missing : messages.notObject);
      }
      return new BadRequest(messages.invalid(err));
    },
  };
}

export const memberCreateDialect = bodyDialect({
  notObject: 'Expected a member in the form: {"member": "image_id"}',
  missing: 'Member to be added not specified',
  invalid: (err) => (err.keyword === 'minLength' ? "Member can't be empty" : 'Member must be a project id: a string of at most 255 characters.'),
});

export const memberUpdateDialect = bodyDialect({
  notObject: 'Expected a status in the form: {"status": "status"}',
  missing: 'Status not specified',
  invalid: () => 'Expected a status in the form: {"status": "status"}',
});
