/**
 * The request context that travels with every RPC message and notification,
 * so that one request can be followed through every service's logs.
 */
import { randomUUID } from 'node:crypto';
import type { AuthContext } from '../http/auth.js';

/** Nova's request id form; here rather than in src/http so a compute host can mint one without loading the HTTP server. */
export function newRequestId(): string {
  return `req-${randomUUID()}`;
}

export interface RequestContext {
  requestId: string;
  userId: string | null;
  projectId: string | null;
  roles: string[];
  userName?: string;
  projectName?: string;
  /**
   * The caller's Keystone token (Nova's RequestContext.auth_token), so a
   * compute host reaching the image or network service over HTTP acts as the
   * user. Travels in RPC messages only, never in notifications or logs.
   */
  authToken?: string;
}

export function contextFromAuth(auth: AuthContext, requestId: string): RequestContext {
  return {
    requestId, userId: auth.userId, projectId: auth.projectId, roles: auth.roles,
    userName: auth.userName, projectName: auth.projectName, authToken: auth.token,
  };
}

/** A context for work a service starts itself (periodic tasks, start-up). */
export function internalContext(requestId: string): RequestContext {
  return { requestId, userId: null, projectId: null, roles: ['admin'] };
}
