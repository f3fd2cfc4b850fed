/**
 * The shelve actions of POST /servers/{id}/action (Nova's shelve.py):
 * shelve and shelveOffload take no argument; unshelve takes an availability
 * zone from 2.77 and a host from 2.91.
 */
import { BadRequest } from '../../errors.js';
import { showValue, validate } from '../../http/validation.js';
import type { UnshelveOptions } from '../shelve-api.js';
import type { ActionHandler } from './server-actions.js';
import { unshelveV277Schema, unshelveV291Schema } from './schemas/shelve.js';

/** Nova gives shelve and shelveOffload no schema: the argument may be null or an object. */
function nullOrObject(name: string, arg: unknown): void {
  if (arg !== null && (typeof arg !== 'object' || Array.isArray(arg))) {
    throw new BadRequest(`Invalid input for field/attribute ${name}. Value: ${showValue(arg)}. must be null or object`);
  }
}

export const SHELVE_ACTIONS: Record<string, ActionHandler> = {
  shelve: {
    async handle(a) {
      nullOrObject('shelve', a.arg);
      await a.deps.computeApi.shelving.shelve(a.request.auth, a.rid, a.id);
      return a.reply.code(202).send();
    },
  },
  shelveOffload: {
    async handle(a) {
      nullOrObject('shelveOffload', a.arg);
      await a.deps.computeApi.shelving.shelveOffload(a.request.auth, a.rid, a.id);
      return a.reply.code(202).send();
    },
  },
  unshelve: {
    async handle(a) {
      const v = a.request.apiVersion;
      const opts: UnshelveOptions = {};
      if (v.atLeast('2.91')) {
        validate(unshelveV291Schema, a.body);
        const r = a.arg as { availability_zone?: string | null; host?: string } | null;
        if (r && Object.hasOwn(r, 'availability_zone')) opts.availabilityZone = r.availability_zone ?? null;
        if (r?.host !== undefined) opts.host = r.host;
      } else if (v.atLeast('2.77')) {
        validate(unshelveV277Schema, a.body);
        const r = a.arg as { availability_zone: string } | null;
        if (r) opts.availabilityZone = r.availability_zone;
      } else {
        nullOrObject('unshelve', a.arg);
      }
      await a.deps.computeApi.shelving.unshelve(a.request.auth, a.rid, a.id, opts);
      return a.reply.code(202).send();
    },
  },
};
