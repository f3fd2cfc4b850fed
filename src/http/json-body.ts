/**
 * The one JSON body parser of every service. It refuses what would hurt the
 * process before JSON.parse sees it (nesting deep enough to overflow the stack
 * of any recursive walk over the value: logging, validation messages,
 * stringify), keeps Fastify's refusal of prototype-poisoning keys, and takes an
 * empty body as no body: keystoneauth and Tempest send `Content-Type:
 * application/json` with an empty body on operations that take none.
 */
import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { BadRequest } from '../errors.js';

/**
 * `\u0000` not itself escaped. No OpenStack resource holds a NUL, and
 * PostgreSQL's text cannot store one: refused here rather than as a database error.
 */
const ESCAPED_NUL = /(?<!\\)(?:\\\\)*\\u0000/i;

/** Deeper than any OpenStack request body needs; far below what overflows the stack. */
export const MAX_JSON_DEPTH = 64;

/** Depth of the deepest array/object in JSON text; strings are skipped, so brackets inside them do not count. */
export function jsonNestingDepth(text: string, stopAbove = Infinity): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return deepest;
}

/**
 * Parses a request body's JSON text: undefined for an empty body, BadRequest
 * for anything malformed, too deep, holding a NUL, or carrying `__proto__` /
 * `constructor.prototype` keys (secure-json-parse, as Fastify's own parser).
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim().length === 0) return undefined;
  if (jsonNestingDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new BadRequest(`Malformed request body: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  if (ESCAPED_NUL.test(text) || text.includes('\u0000')) {
    throw new BadRequest('Malformed request body: NUL characters are not accepted');
  }
  try {
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    throw new BadRequest('Malformed request body');
  }
}

/** Replaces Fastify's application/json parser on the root server; every service inherits it. */
export function installJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
