/**
 * What users hold beside passwords: the deprecated v3 policy blobs,
 * credentials (ec2 and others, blob kept as the client's text), trusts and
 * application credentials (secret hashed at rest).
 */
import { createHash } from 'node:crypto';
import type { Selectable } from 'kysely';
import { Conflict, NotFound } from '../errors.js';
import { isUniqueViolation, nowIso } from '../db/schema-helpers.js';
import { newId, parseObject } from './model.js';
import type { ApplicationCredentialRow, CredentialRow, IdentityDb, PolicyBlobRow, TrustRow } from './tables.js';

export interface PolicyBlob { id: string; type: string; blob: string; extra: Record<string, unknown> }

export interface Credential {
  id: string;
  userId: string;
  projectId: string | null;
  type: string;
  blob: string;
  extra: Record<string, unknown>;
}

export interface Trust {
  id: string;
  trustorUserId: string;
  trusteeUserId: string;
  projectId: string | null;
  impersonation: boolean;
  expiresAt: string | null;
  remainingUses: number | null;
  roleIds: string[];
  extra: Record<string, unknown>;
}

export interface ApplicationCredential {
  id: string;
  name: string;
  userId: string;
  projectId: string;
  description: string;
  expiresAt: string | null;
  unrestricted: boolean;
  roleIds: string[];
}

const toPolicy = (r: Selectable<PolicyBlobRow>): PolicyBlob => ({ id: r.id, type: r.type, blob: r.blob, extra: parseObject(r.extra) });
const toCredential = (r: Selectable<CredentialRow>): Credential => ({
  id: r.id, userId: r.user_id, projectId: r.project_id, type: r.type, blob: r.blob, extra: parseObject(r.extra),
});

/**
 * Keystone names an ec2 credential after its access key (sha256 of it), so
 * the same key cannot be stored twice; other types get a random id.
 */
export function credentialId(type: string, blob: string): string {
  if (type === 'ec2') {
    const access = parseObject(blob).access;
    if (typeof access === 'string') return createHash('sha256').update(access).digest('hex');
  }
  return newId();
}

export class DelegationStore {
  constructor(private readonly db: IdentityDb) {}

  // -- policy blobs

  async getPolicy(id: string): Promise<PolicyBlob | undefined> {
    const r = await this.db.selectFrom('identity_policies').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toPolicy(r);
  }

  async listPolicies(filter: { type?: string } = {}): Promise<PolicyBlob[]> {
    let q = this.db.selectFrom('identity_policies').selectAll().orderBy('created_at').orderBy('id');
    if (filter.type !== undefined) q = q.where('type', '=', filter.type);
    return (await q.execute()).map(toPolicy);
  }

  async createPolicy(input: Omit<PolicyBlob, 'id'>): Promise<PolicyBlob> {
    const id = newId();
    await this.db.insertInto('identity_policies').values({
      id, type: input.type, blob: input.blob, extra: JSON.stringify(input.extra), created_at: nowIso(),
    }).execute();
    return (await this.getPolicy(id))!;
  }

  async updatePolicy(id: string, patch: Partial<Omit<PolicyBlob, 'id'>>): Promise<PolicyBlob> {
    const current = await this.getPolicy(id);
    if (!current) throw new NotFound(`Could not find policy: ${id}.`);
    await this.db.updateTable('identity_policies').set({
      type: patch.type ?? current.type, blob: patch.blob ?? current.blob,
      extra: JSON.stringify({ ...current.extra, ...(patch.extra ?? {}) }),
    }).where('id', '=', id).execute();
    return (await this.getPolicy(id))!;
  }

  async deletePolicy(id: string): Promise<void> {
    const r = await this.db.deleteFrom('identity_policies').where('id', '=', id).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw new NotFound(`Could not find policy: ${id}.`);
  }

  // -- credentials

  async getCredential(id: string): Promise<Credential | undefined> {
    const r = await this.db.selectFrom('identity_credentials').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toCredential(r);
  }

  async listCredentials(filter: { userId?: string; type?: string } = {}): Promise<Credential[]> {
    let q = this.db.selectFrom('identity_credentials').selectAll().orderBy('created_at').orderBy('id');
    if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
    if (filter.type !== undefined) q = q.where('type', '=', filter.type);
    return (await q.execute()).map(toCredential);
  }

  async createCredential(input: Omit<Credential, 'id'>): Promise<Credential> {
    const id = credentialId(input.type, input.blob);
    try {
      await this.db.insertInto('identity_credentials').values({
        id, user_id: input.userId, project_id: input.projectId, type: input.type, blob: input.blob,
        extra: JSON.stringify(input.extra), created_at: nowIso(),
      }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Conflict occurred attempting to store credential - Duplicate entry found with ID ${id}.`);
      throw err;
    }
    return (await this.getCredential(id))!;
  }

  async updateCredential(id: string, patch: Partial<Omit<Credential, 'id'>>): Promise<Credential> {
    const current = await this.getCredential(id);
    if (!current) throw new NotFound(`Could not find credential: ${id}.`);
    await this.db.updateTable('identity_credentials').set({
      user_id: patch.userId ?? current.userId,
      project_id: patch.projectId === undefined ? current.projectId : patch.projectId,
      type: patch.type ?? current.type,
      blob: patch.blob ?? current.blob,
      extra: JSON.stringify({ ...current.extra, ...(patch.extra ?? {}) }),
    }).where('id', '=', id).execute();
    return (await this.getCredential(id))!;
  }

  async deleteCredential(id: string): Promise<void> {
    const r = await this.db.deleteFrom('identity_credentials').where('id', '=', id).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw new NotFound(`Could not find credential: ${id}.`);
  }

  // -- trusts

  private async trustRoles(ids: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return out;
    const rows = await this.db.selectFrom('identity_trust_roles').selectAll().where('trust_id', 'in', ids).orderBy('role_id').execute();
    for (const r of rows) out.get(r.trust_id)?.push(r.role_id);
    return out;
  }

  private async toTrusts(rows: Array<Selectable<TrustRow>>): Promise<Trust[]> {
    const roles = await this.trustRoles(rows.map((r) => r.id));
    return rows.map((r) => ({
      id: r.id, trustorUserId: r.trustor_user_id, trusteeUserId: r.trustee_user_id, projectId: r.project_id,
      impersonation: r.impersonation === 1, expiresAt: r.expires_at, remainingUses: r.remaining_uses,
      roleIds: roles.get(r.id) ?? [], extra: parseObject(r.extra),
    }));
  }

  async getTrust(id: string): Promise<Trust | undefined> {
    const r = await this.db.selectFrom('identity_trusts').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? (await this.toTrusts([r]))[0] : undefined;
  }

  async listTrusts(filter: { trustorUserId?: string; trusteeUserId?: string } = {}): Promise<Trust[]> {
    let q = this.db.selectFrom('identity_trusts').selectAll().orderBy('created_at').orderBy('id');
    if (filter.trustorUserId !== undefined) q = q.where('trustor_user_id', '=', filter.trustorUserId);
    if (filter.trusteeUserId !== undefined) q = q.where('trustee_user_id', '=', filter.trusteeUserId);
    return this.toTrusts(await q.execute());
  }

  async createTrust(input: Omit<Trust, 'id'>): Promise<Trust> {
    const id = newId();
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('identity_trusts').values({
        id, trustor_user_id: input.trustorUserId, trustee_user_id: input.trusteeUserId, project_id: input.projectId,
        impersonation: input.impersonation ? 1 : 0, expires_at: input.expiresAt, remaining_uses: input.remainingUses,
        extra: JSON.stringify(input.extra), created_at: nowIso(),
      }).execute();
      const roleIds = [...new Set(input.roleIds)];
      if (roleIds.length > 0) await tx.insertInto('identity_trust_roles').values(roleIds.map((role_id) => ({ trust_id: id, role_id }))).execute();
    });
    return (await this.getTrust(id))!;
  }

  async deleteTrust(id: string): Promise<void> {
    const deleted = await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('identity_trust_roles').where('trust_id', '=', id).execute();
      const r = await tx.deleteFrom('identity_trusts').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
    if (!deleted) throw new NotFound(`Could not find trust: ${id}.`);
  }

  // -- application credentials

  private async toAppCreds(rows: Array<Selectable<ApplicationCredentialRow>>): Promise<ApplicationCredential[]> {
    const roles = new Map<string, string[]>(rows.map((r) => [r.id, []]));
    if (rows.length > 0) {
      const rr = await this.db.selectFrom('identity_application_credential_roles').selectAll()
        .where('application_credential_id', 'in', rows.map((r) => r.id)).orderBy('role_id').execute();
      for (const r of rr) roles.get(r.application_credential_id)?.push(r.role_id);
    }
    return rows.map((r) => ({
      id: r.id, name: r.name, userId: r.user_id, projectId: r.project_id, description: r.description,
      expiresAt: r.expires_at, unrestricted: r.unrestricted === 1, roleIds: roles.get(r.id) ?? [],
    }));
  }

  async getAppCred(id: string): Promise<ApplicationCredential | undefined> {
    const r = await this.db.selectFrom('identity_application_credentials').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? (await this.toAppCreds([r]))[0] : undefined;
  }

  /** For authentication only: the credential with its secret's hash. */
  async getAppCredWithHash(by: { id: string } | { name: string; userId: string }): Promise<{ cred: ApplicationCredential; hash: string } | undefined> {
    let q = this.db.selectFrom('identity_application_credentials').selectAll();
    q = 'id' in by ? q.where('id', '=', by.id) : q.where('name', '=', by.name).where('user_id', '=', by.userId);
    const r = await q.executeTakeFirst();
    return r ? { cred: (await this.toAppCreds([r]))[0]!, hash: r.secret_hash } : undefined;
  }

  async listAppCreds(userId: string, filter: { name?: string } = {}): Promise<ApplicationCredential[]> {
    let q = this.db.selectFrom('identity_application_credentials').selectAll().where('user_id', '=', userId).orderBy('name').orderBy('id');
    if (filter.name !== undefined) q = q.where('name', '=', filter.name);
    return this.toAppCreds(await q.execute());
  }

  async createAppCred(input: Omit<ApplicationCredential, 'id'> & { secretHash: string }): Promise<ApplicationCredential> {
    const id = newId();
    try {
      await this.db.transaction().execute(async (tx) => {
        await tx.insertInto('identity_application_credentials').values({
          id, name: input.name, user_id: input.userId, project_id: input.projectId, description: input.description,
          secret_hash: input.secretHash, expires_at: input.expiresAt, unrestricted: input.unrestricted ? 1 : 0, created_at: nowIso(),
        }).execute();
        const roleIds = [...new Set(input.roleIds)];
        if (roleIds.length > 0) {
          await tx.insertInto('identity_application_credential_roles')
            .values(roleIds.map((role_id) => ({ application_credential_id: id, role_id }))).execute();
        }
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Conflict occurred attempting to store application_credential - Duplicate entry found with name ${input.name}.`);
      throw err;
    }
    return (await this.getAppCred(id))!;
  }

  async deleteAppCred(id: string): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('identity_application_credential_roles').where('application_credential_id', '=', id).execute();
      const r = await tx.deleteFrom('identity_application_credentials').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }
}
