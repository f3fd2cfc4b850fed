/**
 * Ajv set up for response schemas: strict about unknown keywords and with the
 * formats Nova's responses use, defined here (the project has no formats
 * package).
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { isIP } from 'node:net';
import type { ResponseSpec, Schema } from './common.js';

const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
ajv.addFormat('uri', (s: string) => { try { return Boolean(new URL(s).protocol); } catch { return false; } });
ajv.addFormat('ipv4', (s: string) => isIP(s) === 4);
ajv.addFormat('ipv6', (s: string) => isIP(s) === 6);
ajv.addFormat('base64', /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
// Nova's timestamps: ISO 8601 with a 'T' or a space (launched_at), optional
// fraction and optional offset. Go's clients parse exactly these forms.
ajv.addFormat('nova-date-time', /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?$/);

const compiled = new Map<string, ValidateFunction>();

function compile(schema: Schema): ValidateFunction {
  const key = JSON.stringify(schema);
  let fn = compiled.get(key);
  if (!fn) {
    fn = ajv.compile(schema);
    compiled.set(key, fn);
  }
  return fn;
}

/** What is wrong with a response against its spec; empty when it conforms. */
export function responseProblems(spec: ResponseSpec, status: number, body: unknown): string[] {
  if (!spec.status.includes(status)) return [`status ${status}, expected ${spec.status.join(' or ')}`];
  if (spec.body === undefined) {
    return body === undefined || body === '' ? [] : [`expected no body, got ${JSON.stringify(body).slice(0, 200)}`];
  }
  const validate = compile(spec.body);
  if (validate(body)) return [];
  return (validate.errors ?? []).map((e) => {
    const detail = e.keyword === 'additionalProperties' ? ` '${(e.params as { additionalProperty: string }).additionalProperty}'`
      : e.keyword === 'required' ? ` '${(e.params as { missingProperty: string }).missingProperty}'` : '';
    return `${e.instancePath || '(body)'} ${e.message}${detail}`;
  });
}
