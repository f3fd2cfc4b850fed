/** Trunks (Neutron's trunk extension): a parent port carrying other ports' traffic as VLANs. */
import { randomUUID } from 'node:crypto';
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { isUniqueViolation, nowIso } from '../db/schema-helpers.js';
import type { NetworkDb, SubportRow, TrunkRow } from './tables.js';
import { listRows, type ListableTable, type ListRequest } from './listing.js';
import { duplicateSubport, subportNotFound, trunkDisabled, trunkInUse, trunkNotFound, trunkPortInUse } from './errors.js';
import { tagsFor } from './tags.js';
import { checkParentPort, checkSubports, type Subport } from './trunk-rules.js';
import { followParentBinding, releaseSubports, TRUNK_DOWN } from './trunk-ports.js';
import { ADMIN_SCOPE, type Scope, type SubportRequest, type TrunkCreate, type TrunkRecord, type TrunkUpdate } from './model.js';

export const TRUNK_LISTING: ListableTable = {
  table: 'neutron_trunks',
  taggable: true,
  attrs: {
    id: { column: 'id', kind: 'string' },
    name: { column: 'name', kind: 'string' },
    description: { column: 'description', kind: 'string' },
    port_id: { column: 'port_id', kind: 'string' },
    status: { column: 'status', kind: 'string' },
    admin_state_up: { column: 'admin_state_up', kind: 'bool' },
    project_id: { column: 'project_id', kind: 'string' },
    tenant_id: { column: 'project_id', kind: 'string' },
    revision_number: { column: 'revision_number', kind: 'int' },
    created_at: { column: 'created_at', kind: 'string' },
    updated_at: { column: 'updated_at', kind: 'string' },
  },
};

function trunkScope(scope: Scope): ((eb: ExpressionBuilder<any, any>) => Expression<SqlBool>) | null {
  if (scope.isAdmin) return null;
  return (eb) => eb('neutron_trunks.project_id', '=', scope.projectId);
}

export class TrunkStore {
  /**
   * `canTrunkBoundPort`: whether the port driver can add VLANs to a port
   * already plugged on a host (Linux bridge can; Open vSwitch cannot, so
   * there a bound port can neither become a trunk's parent nor lose its trunk).
   */
  constructor(private readonly db: NetworkDb, private readonly canTrunkBoundPort: boolean) {}

  async getRow(scope: Scope, id: string): Promise<TrunkRow> {
    let q = this.db.selectFrom('neutron_trunks').selectAll().where('id', '=', id);
    const s = trunkScope(scope);
    if (s) q = q.where(s);
    const row = await q.executeTakeFirst();
    if (!row) throw trunkNotFound(id);
    return row;
  }

  async get(scope: Scope, id: string): Promise<TrunkRecord> {
    const [rec] = await this.records([await this.getRow(scope, id)]);
    return rec!;
  }

  async list(scope: Scope, req: ListRequest): Promise<{ records: TrunkRecord[]; hasMore: boolean }> {
    const { rows, hasMore } = await listRows<TrunkRow>(this.db, TRUNK_LISTING, req, trunkScope(scope), trunkNotFound);
    return { records: await this.records(rows), hasMore };
  }

  async records(rows: TrunkRow[]): Promise<TrunkRecord[]> {
    const ids = rows.map((r) => r.id);
    const subports = ids.length === 0 ? [] : await this.db.selectFrom('neutron_subports').selectAll()
      .where('trunk_id', 'in', ids).orderBy('segmentation_id').orderBy('port_id').execute();
    const tags = await tagsFor(this.db, ids);
    return rows.map((trunk) => ({
      trunk,
      subports: subports.filter((s) => s.trunk_id === trunk.id).map((s) => ({ ...s, segmentation_id: Number(s.segmentation_id) })),
      tags: tags.get(trunk.id) ?? [],
    }));
  }

  /**
   * Checks the parent and the subports as the caller sees them, then makes
   * the trunk DOWN, or ACTIVE at once when its parent is already bound.
   */
  async create(scope: Scope, input: TrunkCreate): Promise<TrunkRecord> {
    const id = randomUUID();
    const check = async (db: NetworkDb, who: Scope) => {
      const parent = await checkParentPort(db, who, input.port_id, this.canTrunkBoundPort);
      const subports = await checkSubports(db, who, parent, input.sub_ports);
      assertDistinctSegmentation(id, [], subports);
      return subports;
    };
    await racing(input.port_id, async () => {
      await this.db.transaction().execute(async (trx) => {
        const subports = await check(trx, scope);
        const now = nowIso();
        await trx.insertInto('neutron_trunks').values({
          id, project_id: input.project_id, name: input.name, description: input.description, port_id: input.port_id,
          status: TRUNK_DOWN, admin_state_up: input.admin_state_up ? 1 : 0, revision_number: 1, created_at: now, updated_at: now,
        }).execute();
        if (subports.length > 0) await trx.insertInto('neutron_subports').values(subports.map((s) => ({ ...s, trunk_id: id }))).execute();
        await followParentBinding(trx, [input.port_id]);
      });
    }, () => check(this.db, ADMIN_SCOPE));
    return this.get(ADMIN_SCOPE, id);
  }

  async update(current: TrunkRow, patch: TrunkUpdate): Promise<TrunkRecord> {
    const values: Partial<TrunkRow> = {};
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.description !== undefined) values.description = patch.description;
    if (patch.admin_state_up !== undefined) values.admin_state_up = patch.admin_state_up ? 1 : 0;
    await this.db.updateTable('neutron_trunks')
      .set({ ...values, updated_at: nowIso(), revision_number: sql`revision_number + 1` })
      .where('id', '=', current.id).execute();
    return this.get(ADMIN_SCOPE, current.id);
  }

  /** The subports are released; refused while the trunk is disabled, or bound where the driver cannot untrunk. */
  async delete(current: TrunkRow): Promise<void> {
    assertManageable(current);
    const parent = await this.db.selectFrom('neutron_ports').select('binding_host_id').where('id', '=', current.port_id).executeTakeFirst();
    if (parent && parent.binding_host_id !== '' && !this.canTrunkBoundPort) throw trunkInUse(current.id);
    await this.db.transaction().execute(async (trx) => {
      const subports = await trx.selectFrom('neutron_subports').select('port_id').where('trunk_id', '=', current.id).execute();
      await trx.deleteFrom('neutron_subports').where('trunk_id', '=', current.id).execute();
      await releaseSubports(trx, subports.map((s) => s.port_id));
      await trx.deleteFrom('neutron_tags').where('resource_id', '=', current.id).execute();
      const r = await trx.deleteFrom('neutron_trunks').where('id', '=', current.id).executeTakeFirst();
      if (Number(r.numDeletedRows) === 0) throw trunkNotFound(current.id);
    });
  }

  async addSubports(scope: Scope, current: TrunkRow, requested: SubportRequest[]): Promise<TrunkRecord> {
    const check = async (db: NetworkDb, who: Scope) => {
      const parent = await db.selectFrom('neutron_ports').selectAll().where('id', '=', current.port_id).executeTakeFirstOrThrow();
      const subports = await checkSubports(db, who, parent, requested);
      assertManageable(current);
      const existing = await db.selectFrom('neutron_subports').selectAll().where('trunk_id', '=', current.id).execute();
      assertDistinctSegmentation(current.id, existing, subports);
      return subports;
    };
    await racing(requested[0]?.port_id ?? current.port_id, async () => {
      await this.db.transaction().execute(async (trx) => {
        const subports = await check(trx, scope);
        if (subports.length === 0) return;
        await trx.insertInto('neutron_subports').values(subports.map((s) => ({ ...s, trunk_id: current.id }))).execute();
        // New subports send the trunk back to DOWN until they are bound with its parent, as Neutron does.
        await trx.updateTable('neutron_trunks')
          .set({ status: TRUNK_DOWN, updated_at: nowIso(), revision_number: sql`revision_number + 1` })
          .where('id', '=', current.id).execute();
        await followParentBinding(trx, [current.port_id]);
      });
    }, () => check(this.db, ADMIN_SCOPE));
    return this.get(ADMIN_SCOPE, current.id);
  }

  async removeSubports(current: TrunkRow, portIds: readonly string[]): Promise<TrunkRecord> {
    assertManageable(current);
    await this.db.transaction().execute(async (trx) => {
      const mine = new Set((await trx.selectFrom('neutron_subports').select('port_id').where('trunk_id', '=', current.id).execute())
        .map((s) => s.port_id));
      for (const portId of portIds) if (!mine.has(portId)) throw subportNotFound(current.id, portId);
      if (portIds.length === 0) return;
      await trx.deleteFrom('neutron_subports').where('trunk_id', '=', current.id).where('port_id', 'in', [...portIds]).execute();
      await releaseSubports(trx, portIds);
      await trx.updateTable('neutron_trunks')
        .set({ status: TRUNK_DOWN, updated_at: nowIso(), revision_number: sql`revision_number + 1` })
        .where('id', '=', current.id).execute();
      await followParentBinding(trx, [current.port_id]);
    });
    return this.get(ADMIN_SCOPE, current.id);
  }
}

/**
 * Runs `work`; when a concurrent request took a port or a segmentation id
 * first (a unique constraint fired), `recheck` runs the rules again to name
 * the conflict as they would have; TrunkPortInUse for `portId` otherwise.
 */
async function racing(portId: string, work: () => Promise<void>, recheck: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    await recheck();
    throw trunkPortInUse(portId);
  }
}

function assertManageable(t: TrunkRow): void {
  if (t.admin_state_up !== 1) throw trunkDisabled(t.id);
}

function assertDistinctSegmentation(trunkId: string, existing: readonly SubportRow[], adding: readonly Subport[]): void {
  const taken = new Set(existing.map((s) => `${s.segmentation_type}/${Number(s.segmentation_id)}`));
  for (const s of adding) {
    const key = `${s.segmentation_type}/${s.segmentation_id}`;
    if (taken.has(key)) throw duplicateSubport(s.segmentation_type, s.segmentation_id, trunkId);
    taken.add(key);
  }
}
