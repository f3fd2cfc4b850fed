/**
 * Who is calling: the validated token, as every service's handlers and the
 * policy engine see it. Tokens are validated locally (no HTTP round trip), the
 * way keystonemiddleware caches a validation.
 */
export interface AuthContext {
  token: string;
  userId: string;
  userName: string;
  userDomainId: string;
  projectId: string;
  projectName: string;
  projectDomainId: string;
  roles: string[];
  /** Keystone's is_admin_project: the token is scoped to the admin project. */
  isAdminProject: boolean;
  expiresAt: string;
  issuedAt: string;
}

export interface TokenValidator {
  /** The context for a valid, unexpired token; null otherwise. */
  validateToken(token: string): Promise<AuthContext | null>;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext;
  }
  interface FastifyContextConfig {
    /** Route answers without a token (version documents, token issue). */
    public?: boolean;
  }
}
