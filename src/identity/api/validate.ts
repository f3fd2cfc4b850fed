/**
 * What identity's controllers share besides their schemas (./schemas/):
 * the attributes Keystone keeps without knowing them, and query parameters.
 */
export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Attributes Keystone stores without knowing them (description, email, ...). */
export function extraAttributes(o: Json, known: readonly string[]): Json {
  const extra: Json = {};
  for (const [k, v] of Object.entries(o)) if (!known.includes(k)) extra[k] = v;
  return extra;
}

/** Keystone's query booleans: present means true, unless it is "0" or "false". */
export function queryFlag(query: Record<string, unknown>, key: string): boolean {
  if (!(key in query)) return false;
  const v = query[key];
  const s = Array.isArray(v) ? String(v[0]) : String(v ?? '');
  return s !== '0' && s.toLowerCase() !== 'false';
}

export function queryString(query: Record<string, unknown>, key: string): string | undefined {
  const v = query[key];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? String(v[0]) : String(v);
}

/** ?enabled=true|false filters; anything else is ignored as Keystone does. */
export function queryBool(query: Record<string, unknown>, key: string): boolean | undefined {
  const v = queryString(query, key);
  if (v === undefined) return undefined;
  const s = v.toLowerCase();
  if (s === 'true' || s === '1' || s === '') return true;
  if (s === 'false' || s === '0') return false;
  return undefined;
}
