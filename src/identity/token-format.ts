/**
 * The token itself: a stateless, HMAC-SHA256-signed payload. Every process
 * sharing the database holds the same keys, so any of them can validate a
 * token with one HMAC and no database read (revocation aside).
 *
 *   <key id>.<base64url JSON payload>.<base64url HMAC of the first two parts>
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface TokenScopeRef {
  id: string;
  name: string;
  domainId: string;
  domainName: string;
}

export interface TokenPayload {
  user: TokenScopeRef;
  /** Absent for an unscoped token. */
  project?: TokenScopeRef;
  /** Effective roles on the project, implied roles included. */
  roles: Array<{ id: string; name: string }>;
  methods: string[];
  /** Milliseconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
  /** This token's audit id first, then the one it was rescoped from (Keystone's audit chain). */
  auditIds: string[];
  isAdminProject: boolean;
  /** Set when the token was issued for an application credential, whose deletion ends it. */
  appCred?: { id: string; name: string; restricted: boolean };
}

interface WirePayload {
  u: [string, string, string, string];
  p?: [string, string, string, string];
  r: Array<[string, string]>;
  m: string[];
  i: number;
  e: number;
  a: string[];
  ap?: 1;
  c?: [string, string, 0 | 1];
}

const ref = (r: TokenScopeRef): [string, string, string, string] => [r.id, r.name, r.domainId, r.domainName];
const unref = (w: [string, string, string, string]): TokenScopeRef => ({ id: w[0], name: w[1], domainId: w[2], domainName: w[3] });

export function signToken(payload: TokenPayload, keyId: string, key: Buffer): string {
  const wire: WirePayload = {
    u: ref(payload.user),
    r: payload.roles.map((x) => [x.id, x.name]),
    m: payload.methods,
    i: payload.issuedAt,
    e: payload.expiresAt,
    a: payload.auditIds,
  };
  if (payload.project) wire.p = ref(payload.project);
  if (payload.isAdminProject) wire.ap = 1;
  if (payload.appCred) wire.c = [payload.appCred.id, payload.appCred.name, payload.appCred.restricted ? 1 : 0];
  const body = `${keyId}.${Buffer.from(JSON.stringify(wire)).toString('base64url')}`;
  return `${body}.${mac(key, body)}`;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function isCanonicalBase64url(s: string): boolean {
  return BASE64URL.test(s) && Buffer.from(s, 'base64url').toString('base64url') === s;
}

/**
 * A token's three parts, or undefined unless it is spelled exactly as
 * signToken writes it. Node's base64url decoder skips characters outside the
 * alphabet, accepts padding and ignores the spare low bits of the last
 * character, so many strings decode to the same signature bytes. A token is
 * compared and cached as a string (the validation cache, X-Subject-Token
 * echoes, logs), so it must have one spelling: anything that does not
 * re-encode to itself is not a token.
 */
function tokenParts(token: string): { keyId: string; body: string; payload: string; mac: string } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [keyId, payload, mac] = parts as [string, string, string];
  if (!BASE64URL.test(keyId) || !isCanonicalBase64url(payload) || !isCanonicalBase64url(mac)) return undefined;
  return { keyId, body: `${keyId}.${payload}`, payload, mac };
}

/** The key id a token claims to be signed with, or undefined when it is not one of ours. */
export function tokenKeyId(token: string): string | undefined {
  return tokenParts(token)?.keyId;
}

/** The payload when the token is canonically spelled and the signature is right; undefined otherwise. */
export function verifyToken(token: string, key: Buffer): TokenPayload | undefined {
  const parts = tokenParts(token);
  if (!parts) return undefined;
  const given = Buffer.from(parts.mac, 'base64url');
  const expected = Buffer.from(mac(key, parts.body), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const wire = JSON.parse(Buffer.from(parts.payload, 'base64url').toString('utf8')) as WirePayload;
    return {
      user: unref(wire.u),
      project: wire.p ? unref(wire.p) : undefined,
      roles: wire.r.map(([id, name]) => ({ id, name })),
      methods: wire.m,
      issuedAt: wire.i,
      expiresAt: wire.e,
      auditIds: wire.a,
      isAdminProject: wire.ap === 1,
      ...(wire.c ? { appCred: { id: wire.c[0], name: wire.c[1], restricted: wire.c[2] === 1 } } : {}),
    };
  } catch {
    return undefined;
  }
}

function mac(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}
