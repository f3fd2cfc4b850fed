/**
 * Console authorisation tokens (Nova's ConsoleAuthToken): a console URL
 * carries a random token; the database keeps only its SHA-256 with what the
 * holder may reach (the hypervisor's host and port for one instance's console)
 * and until when. The compute API authorises, the console proxies validate.
 */
import { createHash, randomUUID } from 'node:crypto';
import { nowIso } from '../db/timestamps.js';
import type { ComputeDb } from '../compute/db/tables.js';

/** Where a console token leads (Nova's connect_info). */
export interface ConsoleConnectInfo {
  instanceUuid: string;
  /** novnc, serial, spice-html5, ... */
  consoleType: string;
  host: string;
  port: number;
  internalAccessPath: string | null;
  /** The proxy URL the token was handed out under (its scheme decides the Origin check's protocols). */
  accessUrlBase: string;
}

function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Stores a new token for `info`, valid `ttlSeconds`, and returns it; the expired tokens go first. */
export async function authorizeConsole(db: ComputeDb, info: ConsoleConnectInfo, ttlSeconds: number): Promise<string> {
  // A UUID, as Nova's: 122 random bits, and the shape clients have seen in console URLs.
  const token = randomUUID();
  await purgeExpiredConsoleTokens(db);
  await db.insertInto('console_auth_tokens').values({
    token_hash: tokenHash(token), console_type: info.consoleType, host: info.host, port: info.port,
    internal_access_path: info.internalAccessPath, access_url_base: info.accessUrlBase,
    instance_uuid: info.instanceUuid, expires: nowSeconds() + ttlSeconds, created_at: nowIso(),
  }).execute();
  return token;
}

/**
 * What the token leads to, or null when it is unknown, expired, or its
 * instance is gone (a deleted server's tokens die with it even if a row lingers).
 */
export async function validateConsoleToken(db: ComputeDb, token: string): Promise<ConsoleConnectInfo | null> {
  if (!token) return null;
  const row = await db.selectFrom('console_auth_tokens').selectAll()
    .where('token_hash', '=', tokenHash(token)).where('expires', '>', nowSeconds()).executeTakeFirst();
  if (!row) return null;
  const instance = await db.selectFrom('instances').select(['uuid'])
    .where('uuid', '=', row.instance_uuid).where('deleted', '=', 0).executeTakeFirst();
  if (!instance) return null;
  return {
    instanceUuid: row.instance_uuid, consoleType: row.console_type, host: row.host, port: row.port,
    internalAccessPath: row.internal_access_path, accessUrlBase: row.access_url_base ?? '',
  };
}

/** Nova's clean_console_auths_for_instance: when the server is deleted or its consoles move to another host. */
export async function deleteConsoleTokensForInstance(db: ComputeDb, instanceUuid: string): Promise<void> {
  await db.deleteFrom('console_auth_tokens').where('instance_uuid', '=', instanceUuid).execute();
}

/** Nova's clean_expired_console_auths. */
export async function purgeExpiredConsoleTokens(db: ComputeDb): Promise<void> {
  await db.deleteFrom('console_auth_tokens').where('expires', '<=', nowSeconds()).execute();
}
