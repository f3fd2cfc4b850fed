/**
 * Revoked tokens, as Keystone's revocation events: revoke one token (by audit
 * id), or every token of a user, a project, a user on a project, or a role,
 * issued up to a moment. Validation checks an in-memory copy, refreshed from
 * the database at most every `refreshMs`, so other processes' revocations are
 * seen within that interval and this process's own at once.
 */
import type { Selectable } from 'kysely';
import type { Logger } from 'pino';
import { nowIso } from '../db/schema-helpers.js';
import type { IdentityDb, RevocationEventRow } from './tables.js';
import type { TokenPayload } from './token-format.js';

export interface RevocationEvent {
  auditId?: string;
  userId?: string;
  projectId?: string;
  roleId?: string;
}

interface LoadedEvent {
  auditId: string | null;
  userId: string | null;
  projectId: string | null;
  roleId: string | null;
  issuedBefore: number;
  expiresAt: number;
}

export class RevocationList {
  private byAudit = new Map<string, LoadedEvent>();
  private byUser = new Map<string, LoadedEvent[]>();
  private byProject = new Map<string, LoadedEvent[]>();
  private byRole = new Map<string, LoadedEvent[]>();
  private loadedAt = 0;
  private inflight: Promise<void> | undefined;
  private lastPrune = 0;

  constructor(
    private readonly db: IdentityDb,
    private readonly logger: Logger,
    private readonly refreshMs: number,
    /** How long a token issued now can live: events older than this match nothing. */
    private readonly maxTokenLifetimeMs: () => number,
  ) {}

  /** Makes sure the copy is no older than refreshMs; a failed refresh keeps the old copy. */
  async fresh(): Promise<void> {
    if (Date.now() - this.loadedAt < this.refreshMs) return;
    this.inflight ??= this.reload()
      .catch((err) => this.logger.warn({ err }, 'could not refresh the token revocation list; using the cached one'))
      .finally(() => { this.inflight = undefined; });
    await this.inflight;
  }

  async reload(): Promise<void> {
    const now = Date.now();
    const rows = await this.db.selectFrom('identity_revocation_events').selectAll()
      .where('expires_at', '>', new Date(now).toISOString())
      .execute();
    this.index(rows);
    this.loadedAt = now;
  }

  async revoke(event: RevocationEvent, tokenExpiresAt?: number): Promise<void> {
    const now = Date.now();
    const expiresAt = tokenExpiresAt ?? now + this.maxTokenLifetimeMs();
    await this.db.insertInto('identity_revocation_events').values({
      audit_id: event.auditId ?? null,
      user_id: event.userId ?? null,
      project_id: event.projectId ?? null,
      role_id: event.roleId ?? null,
      issued_before: new Date(now).toISOString(),
      expires_at: new Date(expiresAt).toISOString(),
      created_at: nowIso(),
    }).execute();
    this.add({
      auditId: event.auditId ?? null, userId: event.userId ?? null, projectId: event.projectId ?? null,
      roleId: event.roleId ?? null, issuedBefore: now, expiresAt,
    });
    if (now - this.lastPrune > 60_000) {
      this.lastPrune = now;
      await this.db.deleteFrom('identity_revocation_events').where('expires_at', '<=', new Date(now).toISOString()).execute();
    }
  }

  isRevoked(token: TokenPayload): boolean {
    const issued = token.issuedAt;
    for (const auditId of token.auditIds.slice(0, 1)) {
      const e = this.byAudit.get(auditId);
      if (e && issued <= e.issuedBefore) return true;
    }
    if (this.matchesAny(this.byUser.get(token.user.id), token)) return true;
    if (token.project && this.matchesAny(this.byProject.get(token.project.id), token)) return true;
    for (const role of token.roles) {
      if (this.matchesAny(this.byRole.get(role.id), token)) return true;
    }
    return false;
  }

  private matchesAny(events: LoadedEvent[] | undefined, token: TokenPayload): boolean {
    if (!events) return false;
    for (const e of events) {
      if (token.issuedAt > e.issuedBefore) continue;
      if (e.userId !== null && e.userId !== token.user.id) continue;
      if (e.projectId !== null && e.projectId !== token.project?.id) continue;
      if (e.roleId !== null && !token.roles.some((r) => r.id === e.roleId)) continue;
      return true;
    }
    return false;
  }

  private index(rows: Array<Selectable<RevocationEventRow>>): void {
    this.byAudit = new Map();
    this.byUser = new Map();
    this.byProject = new Map();
    this.byRole = new Map();
    for (const r of rows) {
      this.add({
        auditId: r.audit_id, userId: r.user_id, projectId: r.project_id, roleId: r.role_id,
        issuedBefore: Date.parse(r.issued_before), expiresAt: Date.parse(r.expires_at),
      });
    }
  }

  private add(e: LoadedEvent): void {
    if (e.auditId !== null) {
      const prev = this.byAudit.get(e.auditId);
      if (!prev || prev.issuedBefore < e.issuedBefore) this.byAudit.set(e.auditId, e);
      return;
    }
    // Index each event under its most selective column; matchesAny checks the rest.
    const [map, key] = e.userId !== null ? [this.byUser, e.userId]
      : e.projectId !== null ? [this.byProject, e.projectId]
        : e.roleId !== null ? [this.byRole, e.roleId]
          : [undefined, undefined];
    if (!map || key === undefined) return;
    const list = map.get(key);
    if (list) list.push(e);
    else map.set(key, [e]);
  }
}
