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
import { Forbidden, NotFound, Unauthorized } from '../errors.js';
import { buildCatalog, type CatalogEndpoint, type CatalogService } from './catalog.js';
import { CatalogStore } from './catalog-store.js';
import { DelegationStore, type ApplicationCredential } from './delegation-store.js';
import { GroupStore, type Grant } from './group-store.js';
import { bootstrapIdentity, type BootstrapOptions, type BootstrapResult } from './bootstrap.js';
import type { Domain, DomainInput, Project, ProjectInput, User, UserInput } from './model.js';
import { verifyPassword, type ScryptCost } from './passwords.js';
import { RevocationList } from './revocations.js';
import { SigningKeys } from './signing-keys.js';
import { expiryMs } from './times.js';
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
  applicationCredential?: { ref: { id: string } | { name: string; user: UserRef }; secret: string };
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

/** How long another process's catalog changes may take to show in this one's tokens. */
const CATALOG_REFRESH_MS = 1000;

export class IdentityService implements TokenValidator {
  readonly store: IdentityStore;
  readonly groups: GroupStore;
  readonly catalogStore: CatalogStore;
  readonly delegation: DelegationStore;
  private readonly logger: Logger;
  private readonly keys: SigningKeys;
  private readonly revocations: RevocationList;
  private readonly region: string;
  private readonly expirationMs: number;
  private ready: Promise<void> | undefined;
  private readyDone = false;
  private baseUrl: string | undefined;
  private builtinCatalog: CatalogService[] = [];
  private catalogCache: { at: number; catalog: CatalogService[] } | undefined;
  private readonly validated = new Map<string, { payload: TokenPayload; context: AuthContext }>();

  constructor(opts: IdentityServiceOptions) {
    const db = opts.db as IdentityDb;
    this.logger = opts.logger;
    this.region = opts.region;
    this.expirationMs = opts.tokenExpirationSeconds * 1000;
    this.store = new IdentityStore(db, opts.passwordHashCost);
    this.groups = new GroupStore(db);
    this.catalogStore = new CatalogStore(db);
    this.delegation = new DelegationStore(db);
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
    const result = await bootstrapIdentity(this.store, opts, {
      logger: this.logger,
      onPasswordChanged: (userId) => this.revocations.revoke({ userId }),
    });
    // The built-in endpoints live in the configured region, so it exists as a record too.
    await this.catalogStore.ensureRegion(this.region, '');
    return result;
  }

  // -- catalog

  /** The catalog is built from the public base URL, known only once the server listens. */
  setPublicEndpoint(baseUrl: string): void {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.builtinCatalog = buildCatalog(this.baseUrl, this.region);
    this.catalogCache = undefined;
  }

  get publicEndpoint(): string | undefined {
    return this.baseUrl;
  }

  get regionName(): string {
    return this.region;
  }

  /** The services Kilonova itself serves: derived, not stored, and not changeable through the API. */
  builtinServices(): CatalogService[] {
    return this.builtinCatalog;
  }

  isBuiltinService(id: string): boolean {
    return this.builtinCatalog.some((s) => s.id === id);
  }

  isBuiltinEndpoint(id: string): boolean {
    return this.builtinCatalog.some((s) => s.endpoints.some((e) => e.id === id));
  }

  /** A catalog change made here shows in the next token at once. */
  catalogChanged(): void {
    this.catalogCache = undefined;
  }

  /**
   * The catalog tokens carry: the built-in services, then the enabled stored
   * services with their enabled endpoints (Keystone leaves out a service with
   * none). Rebuilt at most once a second.
   */
  async catalog(): Promise<CatalogService[]> {
    const cached = this.catalogCache;
    if (cached && Date.now() - cached.at < CATALOG_REFRESH_MS) return cached.catalog;
    const [services, endpoints] = await Promise.all([this.catalogStore.listServices(), this.catalogStore.listEndpoints()]);
    const stored: CatalogService[] = [];
    for (const svc of services) {
      if (!svc.enabled) continue;
      const eps: CatalogEndpoint[] = endpoints.filter((e) => e.serviceId === svc.id && e.enabled).map((e) => ({
        id: e.id, interface: e.interface, region: e.regionId ?? '', region_id: e.regionId ?? '', url: e.url,
      }));
      if (eps.length === 0) continue;
      const name = svc.extra.name;
      stored.push({ id: svc.id, type: svc.type, name: typeof name === 'string' ? name : '', endpoints: eps });
    }
    // Endpoints added to a built-in service join its own.
    const builtin = this.builtinCatalog.map((svc) => {
      const extra = endpoints.filter((e) => e.serviceId === svc.id && e.enabled);
      return extra.length === 0 ? svc : {
        ...svc,
        endpoints: [...svc.endpoints, ...extra.map((e) => ({ id: e.id, interface: e.interface, region: e.regionId ?? '', region_id: e.regionId ?? '', url: e.url }))],
      };
    });
    const catalog = [...builtin, ...stored];
    this.catalogCache = { at: Date.now(), catalog };
    return catalog;
  }

  // -- tokens

  async authenticate(req: AuthRequest): Promise<IssuedToken> {
    await this.start();
    let user: User;
    let methods: string[];
    let expiresAt: number;
    let parentAudit: string | undefined;
    let appCred: ApplicationCredential | undefined;
    if (req.methods.includes('password') && req.password) {
      user = await this.checkPassword(req.password.user, req.password.password);
      methods = ['password'];
      expiresAt = Date.now() + this.expirationMs;
    } else if (req.methods.includes('token') && req.token) {
      const parent = await this.verify(req.token.id);
      if (!parent) throw new Unauthorized('The token given for authentication is invalid, expired or revoked.');
      // Its new token would lose the credential's project, roles and revocation on delete.
      if (parent.appCred) throw new Forbidden('A token issued for an application credential cannot be used to get another token.');
      const found = await this.store.getUser(parent.user.id);
      if (!found || !found.enabled) throw new Unauthorized(AUTH_FAILED);
      user = found;
      methods = [...new Set(['token', ...parent.methods])];
      // A token made from a token never outlives the one it came from.
      expiresAt = parent.expiresAt;
      parentAudit = parent.auditIds[0];
    } else if (req.methods.includes('application_credential') && req.applicationCredential) {
      appCred = await this.checkAppCred(req.applicationCredential.ref, req.applicationCredential.secret);
      const found = await this.store.getUser(appCred.userId);
      if (!found || !found.enabled) throw new Unauthorized(AUTH_FAILED);
      user = found;
      methods = ['application_credential'];
      expiresAt = Date.now() + this.expirationMs;
      if (appCred.expiresAt) expiresAt = Math.min(expiresAt, expiryMs(appCred.expiresAt));
    } else {
      throw new Unauthorized('Attempted to authenticate with an unsupported method.');
    }

    const userDomain = await this.store.getDomain(user.domainId);
    if (userDomain && !userDomain.enabled) throw new Unauthorized(AUTH_FAILED);
    let project: Project | undefined;
    if (appCred) {
      // An application credential is bound to its project; a scope naming another is refused.
      project = await this.store.getProject(appCred.projectId);
      if (!project || (req.scope && !this.sameProject(req.scope.project, project))) {
        throw new Unauthorized('Application credentials cannot request a scope.');
      }
    } else if (req.scope) {
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
      // The credential carries only the roles it was made with, and only while the user still holds them.
      const granted = appCred ? effective.filter((r) => appCred.roleIds.includes(r.id)) : effective;
      if (granted.length === 0) throw new Unauthorized(`User ${user.id} has no access to project ${project.id}.`);
      roles = granted.map((r) => ({ id: r.id, name: r.name }));
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
      ...(appCred ? { appCred: { id: appCred.id, name: appCred.name, restricted: !appCred.unrestricted } } : {}),
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
      if (this.revocations.isRevoked(seen.payload)
        || (seen.payload.appCred && !(await this.delegation.getAppCred(seen.payload.appCred.id)))) {
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
    if (this.revocations.isRevoked(payload)) return undefined;
    if (payload.appCred && !(await this.delegation.getAppCred(payload.appCred.id))) return undefined;
    return payload;
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

  async updateProject(id: string, patch: Partial<Omit<ProjectInput, 'domainId' | 'parentId'>>): Promise<Project> {
    const project = await this.store.updateProject(id, patch);
    if (patch.enabled === false) await this.revocations.revoke({ projectId: id });
    return project;
  }

  async deleteProject(id: string): Promise<void> {
    if (await this.store.hasChildren(id)) throw new Forbidden('Cannot delete the project, since it has children projects. Delete them first.');
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

  async updateDomain(id: string, patch: Partial<DomainInput>): Promise<Domain> {
    if (id === 'default' && patch.enabled === false) throw new Forbidden('The default domain cannot be disabled.');
    const domain = await this.store.updateDomain(id, patch);
    if (patch.enabled === false) await this.revokeDomainTokens(id);
    return domain;
  }

  /** Keystone deletes only a disabled domain, and never the default one. */
  async deleteDomain(id: string): Promise<void> {
    const domain = await this.store.getDomain(id);
    if (!domain) throw new NotFound(`Could not find domain: ${id}.`);
    if (id === 'default') throw new Forbidden('The default domain cannot be deleted.');
    if (domain.enabled) throw new Forbidden('Cannot delete a domain that is enabled, please disable it first.');
    const { userIds, projectIds } = await this.store.deleteDomain(id);
    for (const userId of userIds) await this.revocations.revoke({ userId });
    for (const projectId of projectIds) await this.revocations.revoke({ projectId });
  }

  private async revokeDomainTokens(domainId: string): Promise<void> {
    for (const u of await this.store.listUsers({ domainId })) await this.revocations.revoke({ userId: u.id });
    for (const p of await this.store.listProjects({ domainId })) await this.revocations.revoke({ projectId: p.id });
  }

  /** Tokens a group's members hold on the projects the group has roles on. */
  private async revokeGroupTokens(groupId: string, members: string[], only?: { projectId: string }): Promise<void> {
    const grants = only ? [{ targetId: only.projectId }] : await this.groups.listGrants({ types: ['GroupProject'], actorIds: [groupId] });
    const projects = [...new Set(grants.map((g) => g.targetId))];
    for (const userId of members) for (const projectId of projects) await this.revocations.revoke({ userId, projectId });
  }

  async removeGroupMember(groupId: string, userId: string): Promise<void> {
    if (!(await this.groups.removeMember(groupId, userId))) {
      throw new NotFound(`Could not find user: ${userId} in group ${groupId}.`);
    }
    await this.revokeGroupTokens(groupId, [userId]);
  }

  async deleteGroup(id: string): Promise<void> {
    const grants = await this.groups.listGrants({ types: ['GroupProject'], actorIds: [id] });
    const members = await this.groups.deleteGroup(id);
    if (!members) throw new NotFound(`Could not find group: ${id}.`);
    const projects = [...new Set(grants.map((g) => g.targetId))];
    for (const userId of members) for (const projectId of projects) await this.revocations.revoke({ userId, projectId });
  }

  /** Revokes a grant other than a user's on a project, and the tokens that carried it. */
  async revokeOtherGrant(g: Grant): Promise<void> {
    if (!(await this.groups.revoke(g))) {
      throw new NotFound(`Could not find role assignment with role: ${g.roleId}, user or group: ${g.actorId}, project, domain, or system: ${g.targetId}.`);
    }
    if (g.type === 'GroupProject') await this.revokeGroupTokens(g.actorId, await this.groups.memberIds(g.actorId), { projectId: g.targetId });
  }

  async deleteAppCred(id: string): Promise<void> {
    if (!(await this.delegation.deleteAppCred(id))) throw new NotFound(`Could not find Application Credential: ${id}.`);
    // Its tokens name it, and verify() looks it up: dropping cached validations is enough here.
    for (const [token, seen] of this.validated) if (seen.payload.appCred?.id === id) this.validated.delete(token);
  }

  // -- helpers

  private sameProject(ref: ProjectRef, project: Project): boolean {
    return 'id' in ref ? ref.id === project.id : ref.name === project.name;
  }

  private async checkAppCred(ref: { id: string } | { name: string; user: UserRef }, secret: string): Promise<ApplicationCredential> {
    let found: { cred: ApplicationCredential; hash: string } | undefined;
    if ('id' in ref) {
      found = await this.delegation.getAppCredWithHash({ id: ref.id });
    } else {
      let userId: string | undefined;
      if ('id' in ref.user) userId = ref.user.id;
      else {
        const domain = await this.resolveDomain(ref.user.domain);
        userId = domain ? (await this.store.findUser(ref.user.name, domain.id))?.id : undefined;
      }
      if (userId) found = await this.delegation.getAppCredWithHash({ name: ref.name, userId });
    }
    const ok = await verifyPassword(secret, found?.hash ?? null, this.store.passwordCost);
    if (!found || !ok) throw new Unauthorized(AUTH_FAILED);
    if (found.cred.expiresAt && expiryMs(found.cred.expiresAt) <= Date.now()) throw new Unauthorized(AUTH_FAILED);
    return found.cred;
  }

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
