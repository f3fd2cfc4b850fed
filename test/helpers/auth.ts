/**
 * Fixed tokens for testing one service's HTTP API in isolation. The functional
 * tests of the whole cloud use real Keystone tokens instead.
 */
import type { AuthContext, TokenValidator } from '../../src/http/auth.js';

export function testAuthContext(token: string, user: string, project: string, roles: string[]): AuthContext {
  return {
    token, userId: `${user}-id`, userName: user, userDomainId: 'default',
    projectId: `${project}-project-id`, projectName: project, projectDomainId: 'default',
    roles, isAdminProject: project === 'admin',
    expiresAt: new Date(Date.now() + 3600_000).toISOString(), issuedAt: new Date().toISOString(),
  };
}

export const TEST_AUTH = {
  admin: testAuthContext('admin-token', 'admin', 'admin', ['admin', 'member', 'reader']),
  demo: testAuthContext('demo-token', 'demo', 'demo', ['member', 'reader']),
  other: testAuthContext('other-token', 'alt', 'other', ['member', 'reader']),
  reader: testAuthContext('reader-token', 'viewer', 'demo', ['reader']),
} as const;

export const staticTokens: TokenValidator = {
  async validateToken(token) {
    return Object.values(TEST_AUTH).find((c) => c.token === token) ?? null;
  },
};

export function authHeaders(who: keyof typeof TEST_AUTH): Record<string, string> {
  return { 'x-auth-token': TEST_AUTH[who].token };
}
