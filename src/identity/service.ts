/**
 * The identity service: authenticates users, issues and validates tokens, and
 * applies the changes to users, projects and roles that must revoke tokens
 * (Keystone revokes on password change, disable, delete and unassignment).
 * It is the TokenValidator every other service's API uses.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AuthContext, TokenValidator } from '../http/auth.js';
import { NotFound, Unauthorized } from '../http/errors.js';
import { buildCatalog, type CatalogService } from './catalog.js';
import { bootstrapIdentity, type BootstrapOptions, type BootstrapResult } from './bootstrap.js';
import type { Domain, Project, ProjectInput, User, UserInput } from './model.js';
import { verifyPassword, type ScryptCost } from './passwords.js';
import { RevocationList } from './revocations.js';
import { SigningKeys } from './signing-keys.js';
import { IdentityStore } from './store.js';
import type { IdentityDb } from './tables.js';
import { signToken, tokenKeyId, verifyToken, type TokenPayload, type TokenScopeRef } from './token-format.js';

export interface IdentityServiceOptions {
  db: Kysely<any>;
  logger: Logger;
  tokenExpirationSeconds: number;
  region: string;
  /** How stale this process's copy of the revocation list may get (other processes' revocations). */
  revocationRefreshSeconds?: number;
  /** scrypt cost for new password hashes (tests lower it); existing hashes keep theirs. */
  passwordHashCost?: ScryptCost;
}

/** A domain named by id or by name, as Keystone's auth requests name them. */
export type DomainRef = { id: string } | { name: string };

export type UserRef = { id: string } | { name: string; domain: DomainRef };

export type ProjectRef = { id: string } | { name: string; domain: DomainRef };

/** An authentication request, already checked for shape by the API. */
export interface AuthRequest {
  methods: string[];
  password?: { user: UserRef; password: string };
  token?: { id: string };
  /** Absent: unscoped (or the user's default project, as Keystone does). */
  scope?: { project: ProjectRef };
}

export interface IssuedToken {
  id: string;
  payload: TokenPayload;
}

/** Keystone's is_admin_project: tokens scoped to the admin project in the default domain. */
const ADMIN_PROJECT = { name: 'admin', domainId: 'default' };

/** Tokens whose signature was checked already; bounded, oldest dropped first. */
const VALIDATED_CACHE_SIZE = 10_000;

const AUTH_FAILED = 'The request you have made requires authentication.';

export class IdentityService implements TokenValidator {
  readonly store: IdentityStore;
  private readonly logger: Logger;
  private readonly keys: SigningKeys;
  private readonly revocations: RevocationList;
  private readonly region: string;
  private readonly expirationMs: number;
  private ready: Promise<void> | undefined;
  private readyDone = false;
  private baseUrl: string | undefined;
  private catalogCache: CatalogService[] = [];
  private readonly validated = new Map<string, { payload: TokenPayload; context: AuthContext }>();

  constructor(opts: IdentityServiceOptions) {
    const db = opts.db as IdentityDb;
    this.logger = opts.logger;
    this.region = opts.region;
    this.expirationMs = opts.tokenExpirationSeconds * 1000;
    this.store = new IdentityStore(db, opts.passwordHashCost);
    this.keys = new SigningKeys(db);
    this.revocations = new RevocationList(db, opts.logger, (opts.revocationRefreshSeconds ?? 1) * 1000, () => this.expirationMs);
  }

  /** Loads the signing keys and the revocation list; called lazily, safe to call again. */
  async start(): Promise<void> {
    if (this.readyDone) return;
    this.ready ??= (async () => {
      await this.keys.load();
      await this.revocations.reload();
      this.readyDone = true;
    })().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    await this.ready;
  }

  async bootstrap(opts: BootstrapOptions = {}): Promise<BootstrapResult> {
    await this.start();
    return bootstrapIdentity(this.store, opts, {
      logger: this.logger,
      onPasswordChanged: (userId) => this.revocations.revoke({ userId }),
    });
  }

  // -- catalog

  /** The catalog is built from the public base URL, known only once the server listens. */
  setPublicEndpoint(baseUrl: string): void {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.catalogCache = buildCatalog(this.baseUrl, this.region);
  }

  get publicEndpoint(): string | undefined {
    return this.baseUrl;
  }

  get regionName(): string {
    return this.region;
  }

  catalog(): CatalogService[] {
    return this.catalogCache;
  }

  // -- tokens

  async authenticate(req: AuthRequest): Promise<IssuedToken> {
    await this.start();
    let user: User;
    let methods: string[];
    let expiresAt: number;
    let parentAudit: string | undefined;
    if (req.methods.includes('password') && req.password) {
      user = await this.checkPassword(req.password.user, req.password.password);
      methods = ['password'];
      expiresAt = Date.now() + this.expirationMs;
    } else if (req.methods.includes('token') && req.token) {
      const parent = await this.verify(req.token.id);
      if (!parent) throw new Unauthorized('The token given for authentication is invalid, expired or revoked.');
      const found = await this.store.getUser(parent.user.id);
      if (!found || !found.enabled) throw new Unauthorized(AUTH_FAILED);
      user = found;
      methods = [...new Set(['token', ...parent.methods])];
      // A token made from a token never outlives the one it came from.
      expiresAt = parent.expiresAt;
      parentAudit = parent.auditIds[0];
    } else {
      throw new Unauthorized('Attempted to authenticate with an unsupported method.');
    }

    const userDomain = await this.store.getDomain(user.domainId);
    let project: Project | undefined;
    if (req.scope) {
      project = await this.resolveProject(req.scope.project);
    } else if (user.defaultProjectId) {
      // Keystone scopes to the default project when the user still has a role there.
      const p = await this.store.getProject(user.defaultProjectId);
      if (p && p.enabled && (await this.store.assignedRoles(user.id, p.id)).length > 0) project = p;
    }

    let roles: Array<{ id: string; name: string }> = [];
    let projectRef: TokenScopeRef | undefined;
    if (project) {
      if (!project.enabled) throw new Unauthorized(`Project ${project.id} is disabled.`);
      const [effective, projectDomain] = await Promise.all([
        this.store.effectiveRoles(user.id, project.id),
        project.domainId === user.domainId ? Promise.resolve(userDomain) : this.store.getDomain(project.domainId),
      ]);
      if (effective.length === 0) throw new Unauthorized(`User ${user.id} has no access to project ${project.id}.`);
      roles = effective.map((r) => ({ id: r.id, name: r.name }));
      projectRef = { id: project.id, name: project.name, domainId: project.domainId, domainName: projectDomain?.name ?? project.domainId };
    }

    const issuedAt = Date.now();
    const payload: TokenPayload = {
      user: { id: user.id, name: user.name, domainId: user.domainId, domainName: userDomain?.name ?? user.domainId },
      project: projectRef,
      roles,
      methods,
      issuedAt,
      expiresAt,
      auditIds: parentAudit ? [newAuditId(), parentAudit] : [newAuditId()],
      isAdminProject: project !== undefined && project.name === ADMIN_PROJECT.name && project.domainId === ADMIN_PROJECT.domainId,
    };
    const key = this.keys.current();
    return { id: signToken(payload, key.id, key.key), payload };
  }

  /**
   * TokenValidator: cheap (one HMAC, an in-memory revocation check); null when
   * not valid. A token seen before skips even the HMAC, and gets the same
   * frozen context back, so per-context caches (policy credentials) hit.
   */
  async validateToken(token: string): Promise<AuthContext | null> {
    const seen = this.validated.get(token);
    if (seen) {
      if (seen.payload.expiresAt <= Date.now()) {
        this.validated.delete(token);
        return null;
      }
      await this.revocations.fresh();
      if (this.revocations.isRevoked(seen.payload)) {
        this.validated.delete(token);
        return null;
      }
      return seen.context;
    }
    const payload = await this.verify(token);
    if (!payload) return null;
    const context: AuthContext = Object.freeze({
      token,
      userId: payload.user.id,
      userName: payload.user.name,
      userDomainId: payload.user.domainId,
      projectId: payload.project?.id ?? '',
      projectName: payload.project?.name ?? '',
      projectDomainId: payload.project?.domainId ?? '',
      roles: Object.freeze(payload.roles.map((r) => r.name)) as string[],
      isAdminProject: payload.isAdminProject,
      expiresAt: new Date(payload.expiresAt).toISOString(),
      issuedAt: new Date(payload.issuedAt).toISOString(),
    });
    if (this.validated.size >= VALIDATED_CACHE_SIZE) {
      // Oldest first: Map iteration follows insertion order.
      this.validated.delete(this.validated.keys().next().value!);
    }
    this.validated.set(token, { payload, context });
    return context;
  }

  /** The payload of a valid (signed, unexpired, unrevoked) token, else undefined. */
  async verify(token: string): Promise<TokenPayload | undefined> {
    if (!this.readyDone) await this.start();
    const kid = tokenKeyId(token);
    const key = kid === undefined ? undefined : this.keys.get(kid);
    if (!key) return undefined;
    const payload = verifyToken(token, key);
    if (!payload || payload.expiresAt <= Date.now()) return undefined;
    await this.revocations.fresh();
    return this.revocations.isRevoked(payload) ? undefined : payload;
  }

  async revokeToken(payload: TokenPayload): Promise<void> {
    await this.revocations.revoke({ auditId: payload.auditIds[0] }, payload.expiresAt);
  }

  // -- changes that revoke tokens

  async updateUser(id: string, patch: Partial<Omit<UserInput, 'domainId'>>): Promise<User> {
    const user = await this.store.updateUser(id, patch);
    if (patch.password !== undefined || patch.enabled === false) await this.revocations.revoke({ userId: id });
    return user;
  }

  async deleteUser(id: string): Promise<void> {
    if (!(await this.store.deleteUser(id))) throw new NotFound(`Could not find user: ${id}.`);
    await this.revocations.revoke({ userId: id });
  }

  /** A user changing its own password: the original proves who it is. */
  async changePassword(userId: string, original: string, password: string): Promise<void> {
    const found = await this.store.getUserWithHash({ id: userId });
    if (!found) throw new NotFound(`Could not find user: ${userId}.`);
    if (!found.user.enabled || !(await verifyPassword(original, found.hash, this.store.passwordCost))) throw new Unauthorized(AUTH_FAILED);
    await this.store.setPasswordHash(userId, await this.store.hashPassword(password));
    await this.revocations.revoke({ userId });
  }

  async createProject(input: ProjectInput): Promise<Project> {
    return this.store.createProject(input);
  }

  async updateProject(id: string, patch: Partial<Omit<ProjectInput, 'domainId'>>): Promise<Project> {
    const project = await this.store.updateProject(id, patch);
    if (patch.enabled === false) await this.revocations.revoke({ projectId: id });
    return project;
  }

  async deleteProject(id: string): Promise<void> {
    if (!(await this.store.deleteProject(id))) throw new NotFound(`Could not find project: ${id}.`);
    await this.revocations.revoke({ projectId: id });
  }

  async deleteRole(id: string): Promise<void> {
    if (!(await this.store.deleteRole(id))) throw new NotFound(`Could not find role: ${id}.`);
    await this.revocations.revoke({ roleId: id });
  }

  async revokeGrant(userId: string, projectId: string, roleId: string): Promise<void> {
    if (!(await this.store.revokeGrant(userId, projectId, roleId))) {
      throw new NotFound(`Could not find role assignment with role: ${roleId}, user or group: ${userId}, project, domain, or system: ${projectId}.`);
    }
    await this.revocations.revoke({ userId, projectId });
  }

  // -- helpers

  private async checkPassword(ref: UserRef, password: string): Promise<User> {
    let found: { user: User; hash: string | null } | undefined;
    if ('id' in ref) {
      found = await this.store.getUserWithHash({ id: ref.id });
    } else {
      const domain = await this.resolveDomain(ref.domain);
      if (domain) found = await this.store.getUserWithHash({ name: ref.name, domainId: domain.id });
    }
    // verifyPassword spends the same time for a missing user, so names cannot be probed.
    const ok = await verifyPassword(password, found?.hash ?? null, this.store.passwordCost);
    if (!found || !ok) throw new Unauthorized(AUTH_FAILED);
    if (!found.user.enabled) throw new Unauthorized(AUTH_FAILED);
    return found.user;
  }

  private async resolveDomain(ref: DomainRef): Promise<Domain | undefined> {
    return 'id' in ref ? this.store.getDomain(ref.id) : this.store.findDomainByName(ref.name);
  }

  private async resolveProject(ref: ProjectRef): Promise<Project> {
    let project: Project | undefined;
    if ('id' in ref) project = await this.store.getProject(ref.id);
    else {
      const domain = await this.resolveDomain(ref.domain);
      if (domain) project = await this.store.findProject(ref.name, domain.id);
    }
    if (!project) {
      const name = 'id' in ref ? ref.id : ref.name;
      throw new Unauthorized(`Could not find project: ${name}.`);
    }
    return project;
  }
}

/** Keystone's audit ids: 16 random bytes, URL-safe base64 without padding. */
function newAuditId(): string {
  return randomBytes(16).toString('base64url');
}
