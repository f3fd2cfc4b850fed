/**
 * The body of POST /v3/auth/tokens (keystone/auth/schema.py), and what the
 * schema cannot say: that a reference needs an id, or a name with its domain
 * (Keystone's auth plugins check that in code, with these words).
 */
import { BadRequest } from '../../../errors.js';
import { keystone, validate } from '../../../http/validation.js';
import type { AuthRequest, DomainRef, ProjectRef, UserRef } from '../../service.js';

const MAX_NAME = 255;
const id = { type: 'string', maxLength: 64 } as const;
const refName = { type: 'string', maxLength: MAX_NAME } as const;
const domain = { type: 'object', properties: { id, name: refName } } as const;
const user = { type: 'object', properties: { id, name: refName, domain, password: { type: 'string', maxLength: 4096 } } } as const;
const project = { type: 'object', properties: { id, name: refName, domain } } as const;

const needs = (method: string) => ({
  if: { properties: { methods: { contains: { const: method } } } },
  then: { required: [method] },
});

export const authCreate = {
  type: 'object',
  properties: {
    auth: {
      type: 'object',
      properties: {
        identity: {
          type: 'object',
          properties: {
            methods: { type: 'array', minItems: 1, items: { type: 'string' } },
            password: { type: 'object', properties: { user }, required: ['user'] },
            token: { type: 'object', properties: { id: { type: 'string', maxLength: 8192 } }, required: ['id'] },
            application_credential: {
              type: 'object',
              properties: { id, name: refName, secret: { type: 'string', maxLength: 4096 }, user },
              required: ['secret'],
            },
          },
          required: ['methods'],
          allOf: [needs('password'), needs('token'), needs('application_credential')],
        },
        scope: {
          anyOf: [
            { const: 'unscoped' },
            { type: 'object', properties: { project: { ...project } } },
          ],
        },
      },
      required: ['identity'],
    },
  },
  required: ['auth'],
} as const;

type Json = Record<string, unknown>;

function domainRef(o: Json, path: string): DomainRef {
  if (typeof o.id === 'string') return { id: o.id };
  if (typeof o.name === 'string') return { name: o.name };
  throw new BadRequest(`Invalid input for field '${path}': expecting to find id or name in domain`);
}

function namedRef(o: Json, path: string, kind: 'user' | 'project'): UserRef | ProjectRef {
  if (typeof o.id === 'string') return { id: o.id };
  if (typeof o.name !== 'string') throw new BadRequest(`Invalid input for field '${path}': expecting to find id or name in ${kind}`);
  if (o.domain === undefined) throw new BadRequest(`Invalid input for field '${path}': expecting to find domain in ${kind}`);
  return { name: o.name, domain: domainRef(o.domain as Json, `${path}/domain`) };
}

/** Reads Keystone's auth request body; shape errors are 400, credentials are checked later (401). */
export function authRequestOf(body: unknown): AuthRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequest('Expecting to find auth in request body. The server could not comply with the request since it is either malformed or otherwise incorrect.');
  }
  validate(authCreate, body, keystone);
  const auth = (body as Json).auth as Json;
  const identity = auth.identity as Json;
  const methods = identity.methods as string[];
  const req: AuthRequest = { methods };
  if (methods.includes('password')) {
    const u = (identity.password as Json).user as Json;
    req.password = { user: namedRef(u, 'auth/identity/password/user', 'user') as UserRef, password: (u.password as string | undefined) ?? '' };
  }
  if (methods.includes('application_credential')) {
    const path = 'auth/identity/application_credential';
    const cred = identity.application_credential as Json;
    const secret = cred.secret as string;
    if (typeof cred.id === 'string') req.applicationCredential = { ref: { id: cred.id }, secret };
    else {
      if (typeof cred.name !== 'string' || cred.user === undefined) {
        throw new BadRequest(`Invalid input for field '${path}': expecting to find id, or name and user, in application_credential`);
      }
      req.applicationCredential = { ref: { name: cred.name, user: namedRef(cred.user as Json, `${path}/user`, 'user') as UserRef }, secret };
    }
  }
  if (methods.includes('token')) req.token = { id: (identity.token as Json).id as string };
  const scope = auth.scope;
  if (scope !== undefined && scope !== 'unscoped') {
    const s = scope as Json;
    if (s.project !== undefined) {
      req.scope = { project: namedRef(s.project as Json, 'auth/scope/project', 'project') as ProjectRef };
    } else if (s.domain !== undefined || s.system !== undefined || s['OS-TRUST:trust'] !== undefined) {
      throw new BadRequest('Only project-scoped and unscoped tokens are supported.');
    }
  }
  return req;
}
