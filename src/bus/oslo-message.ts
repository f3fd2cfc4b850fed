/**
 * The fields of oslo.messaging's RPC and notification messages that are not
 * the payload: the request context flattened into `_context_<key>` fields
 * (amqp.pack_context), the unique id, and a remote failure serialized as
 * JSON text with its class, module and message (common.serialize_remote_exception).
 * Kept in these shapes so a message on the bus reads as one from Nova.
 */
import { randomUUID } from 'node:crypto';
import type { RequestContext } from './context.js';

export type PackedContext = Record<`_context_${string}`, unknown>;

/** oslo's ids are hex UUIDs without dashes. */
export function osloId(): string {
  return randomUUID().replace(/-/g, '');
}

export function packContext(ctx: RequestContext): PackedContext {
  return {
    _context_request_id: ctx.requestId,
    _context_user_id: ctx.userId,
    _context_project_id: ctx.projectId,
    _context_roles: ctx.roles,
    _context_is_admin: ctx.roles.includes('admin'),
    _context_user_name: ctx.userName,
    _context_project_name: ctx.projectName,
  };
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** The context of a message; fields a foreign sender left out come back empty. */
export function unpackContext(msg: Record<string, unknown>): RequestContext {
  const ctx: RequestContext = {
    requestId: str(msg._context_request_id) ?? '',
    userId: str(msg._context_user_id),
    projectId: str(msg._context_project_id),
    roles: Array.isArray(msg._context_roles) ? msg._context_roles.filter((r): r is string => typeof r === 'string') : [],
  };
  const userName = str(msg._context_user_name);
  const projectName = str(msg._context_project_name);
  if (userName !== null) ctx.userName = userName;
  if (projectName !== null) ctx.projectName = projectName;
  return ctx;
}

export interface RemoteFailure {
  name: string;
  message: string;
}

export function serializeFailure(f: RemoteFailure): string {
  return JSON.stringify({ class: f.name, module: 'kilonova', message: f.message, tb: [], args: [f.message], kwargs: {} });
}

export function deserializeFailure(text: string): RemoteFailure {
  try {
    const f = JSON.parse(text) as { class?: unknown; message?: unknown };
    return { name: typeof f.class === 'string' ? f.class : 'Error', message: typeof f.message === 'string' ? f.message : String(text) };
  } catch {
    return { name: 'Error', message: text };
  }
}
