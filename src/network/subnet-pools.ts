/**
 * Address scopes and subnet pools (Neutron's address-scope and subnet_allocation
 * extensions, IPv4 only): a pool's prefixes, from which a subnet asks for a
 * cidr of some prefix length instead of naming one, never overlapping another
 * subnet of the pool.
 */
import { randomUUID } from 'node:crypto';
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import { nowIso } from '../db/schema-helpers.js';
import { BadRequest, Conflict, NotFound } from '../errors.js';
import type { AddressScopeRow, NetworkDb, SubnetPoolRow } from './tables.js';
import { listRows, type ListableTable, type ListRequest } from './listing.js';
import { cidrsOverlap, formatCidr, parseCidr, type Ipv4Cidr } from './ipv4.js';
import { invalidInput } from './errors.js';
import { tagsFor } from './tags.js';
import type { Scope } from './model.js';

export const addressScopeNotFound = (id: string) => new NotFound(`Address scope ${id} could not be found.`, { type: 'AddressScopeNotFound' });
export const subnetPoolNotFound = (id: string) => new NotFound(`Subnet pool ${id} could not be found.`, { type: 'SubnetPoolNotFound' });

const COMMON_ATTRS = {
  id: { column: 'id', kind: 'string' },
  name: { column: 'name', kind: 'string' },
  project_id: { column: 'project_id', kind: 'string' },
  tenant_id: { column: 'project_id', kind: 'string' },
  shared: { column: 'shared', kind: 'bool' },
  ip_version: { column: 'ip_version', kind: 'int' },
  revision_number: { column: 'revision_number', kind: 'int' },
  created_at: { column: 'created_at', kind: 'string' },
  updated_at: { column: 'updated_at', kind: 'string' },
} as const;

export const ADDRESS_SCOPE_LISTING: ListableTable = { table: 'neutron_address_scopes', taggable: false, attrs: { ...COMMON_ATTRS } };

export const SUBNETPOOL_LISTING: ListableTable = {
  table: 'neutron_subnetpools',
  taggable: true,
  attrs: {
    ...COMMON_ATTRS,
    description: { column: 'description', kind: 'string' },
    default_prefixlen: { column: 'default_prefixlen', kind: 'int' },
    min_prefixlen: { column: 'min_prefixlen', kind: 'int' },
    max_prefixlen: { column: 'max_prefixlen', kind: 'int' },
    is_default: { column: 'is_default', kind: 'bool' },
    address_scope_id: { column: 'address_scope_id', kind: 'string' },
  },
};

/** A project sees its own scopes and pools and the shared ones. */
function ownOrShared(table: string, scope: Scope): ((eb: ExpressionBuilder<any, any>) => Expression<SqlBool>) | null {
  if (scope.isAdmin) return null;
  return (eb) => eb.or([eb(`${table}.project_id`, '=', scope.projectId), eb(`${table}.shared`, '=', 1)]);
}

export interface AddressScopeCreate { project_id: string; name: string; shared: boolean; ip_version: number }
export interface AddressScopeUpdate { name?: string; shared?: boolean }

export interface SubnetPoolCreate {
  project_id: string;
  name: string;
  description: string;
  prefixes: string[];
  default_prefixlen?: number;
  min_prefixlen?: number;
  max_prefixlen?: number;
  shared: boolean;
  is_default: boolean;
  address_scope_id: string | null;
}

export interface SubnetPoolUpdate {
  name?: string;
  description?: string;
  prefixes?: string[];
  default_prefixlen?: number;
  min_prefixlen?: number;
  max_prefixlen?: number;
  is_default?: boolean;
  address_scope_id?: string | null;
}

export interface SubnetPoolRecord { pool: SubnetPoolRow; tags: string[] }

function onlyIpv4(version: number): void {
  if (version !== 4) throw new BadRequest('Only IPv4 (ip_version 4) is supported by this cloud.');
}

/** The pool's prefixes as cidrs, checked (Neutron's validation of a prefix list). */
function checkPrefixes(prefixes: readonly string[]): Ipv4Cidr[] {
  if (prefixes.length === 0) throw new BadRequest('Empty subnet pool prefix list.', { type: 'EmptySubnetPoolPrefixList' });
  // In address order, as Neutron shows a pool's prefixes.
  return prefixes.map((p) => {
    const parsed = parseCidr(p);
    if (!parsed.ok) throw new BadRequest(`Invalid CIDR ${p} given as IP prefix.`, { type: 'InvalidSubnetPoolPrefix' });
    return parsed.cidr;
  }).sort((a, b) => a.network - b.network || a.prefix - b.prefix);
}

/** Neutron's prefix bounds (SubnetPoolHelper): min ≤ default ≤ max ≤ 32. */
function checkBounds(min: number, def: number, max: number): void {
  const illegal = (type: string, len: number, base: string, baseLen: number) => new BadRequest(
    `Illegal prefix bounds: ${type}=${len}, ${base}=${baseLen}.`, { type: 'IllegalSubnetPoolPrefixBounds' });
  if (min < 0) throw new BadRequest(`Prefix '${min}' not supported in IPv4 pool.`, { type: 'UnsupportedMinSubnetPoolPrefix' });
  if (min > max) throw illegal('min_prefixlen', min, 'max_prefixlen', max);
  if (max > 32) throw illegal('max_prefixlen', max, 'ip_version_max', 32);
  if (def < min) throw illegal('default_prefixlen', def, 'min_prefixlen', min);
  if (def > max) throw illegal('default_prefixlen', def, 'max_prefixlen', max);
}

export class AddressScopeStore {
  constructor(private readonly db: NetworkDb) {}

  async getRow(scope: Scope, id: string): Promise<AddressScopeRow> {
    let q = this.db.selectFrom('neutron_address_scopes').selectAll().where('id', '=', id);
    const s = ownOrShared('neutron_address_scopes', scope);
    if (s) q = q.where(s);
    const row = await q.executeTakeFirst();
    if (!row) throw addressScopeNotFound(id);
    return row;
  }

  get(scope: Scope, id: string): Promise<AddressScopeRow> {
    return this.getRow(scope, id);
  }

  async list(scope: Scope, req: ListRequest): Promise<{ records: AddressScopeRow[]; hasMore: boolean }> {
    const { rows, hasMore } = await listRows<AddressScopeRow>(this.db, ADDRESS_SCOPE_LISTING, req, ownOrShared('neutron_address_scopes', scope), addressScopeNotFound);
    return { records: rows, hasMore };
  }

  async create(input: AddressScopeCreate): Promise<AddressScopeRow> {
    onlyIpv4(input.ip_version);
    const now = nowIso();
    const row: AddressScopeRow = {
      id: randomUUID(), project_id: input.project_id, name: input.name, shared: input.shared ? 1 : 0, ip_version: input.ip_version,
      revision_number: 1, created_at: now, updated_at: now,
    };
    await this.db.insertInto('neutron_address_scopes').values(row).execute();
    return row;
  }

  async update(current: AddressScopeRow, patch: AddressScopeUpdate): Promise<AddressScopeRow> {
    if (patch.shared === false && current.shared === 1) {
      throw new BadRequest(`Unable to update address scope ${current.id} : Shared address scope can't be unshared.`, { type: 'AddressScopeUpdateError' });
    }
    const values: Partial<AddressScopeRow> = {};
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.shared !== undefined) values.shared = patch.shared ? 1 : 0;
    await this.db.updateTable('neutron_address_scopes').set({ ...values, updated_at: nowIso(), revision_number: current.revision_number + 1 })
      .where('id', '=', current.id).execute();
    return this.getRow({ isAdmin: true, projectId: '' }, current.id);
  }

  async delete(current: AddressScopeRow): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const used = await trx.selectFrom('neutron_subnetpools').select('id').where('address_scope_id', '=', current.id).limit(1).executeTakeFirst();
      if (used) {
        throw new Conflict(`Unable to complete operation on address scope ${current.id}. There are one or more subnet pools in use on the address scope.`, { type: 'AddressScopeInUse' });
      }
      await trx.deleteFrom('neutron_address_scopes').where('id', '=', current.id).execute();
    });
  }
}

export class SubnetPoolStore {
  constructor(private readonly db: NetworkDb, private readonly scopes: AddressScopeStore) {}

  async getRow(scope: Scope, id: string): Promise<SubnetPoolRow> {
    let q = this.db.selectFrom('neutron_subnetpools').selectAll().where('id', '=', id);
    const s = ownOrShared('neutron_subnetpools', scope);
    if (s) q = q.where(s);
    const row = await q.executeTakeFirst();
    if (!row) throw subnetPoolNotFound(id);
    return row;
  }

  async get(scope: Scope, id: string): Promise<SubnetPoolRecord> {
    const [rec] = await this.records([await this.getRow(scope, id)]);
    return rec!;
  }

  async list(scope: Scope, req: ListRequest): Promise<{ records: SubnetPoolRecord[]; hasMore: boolean }> {
    const { rows, hasMore } = await listRows<SubnetPoolRow>(this.db, SUBNETPOOL_LISTING, req, ownOrShared('neutron_subnetpools', scope), subnetPoolNotFound);
    return { records: await this.records(rows), hasMore };
  }

  async records(rows: SubnetPoolRow[]): Promise<SubnetPoolRecord[]> {
    const tags = await tagsFor(this.db, rows.map((r) => r.id));
    return rows.map((pool) => ({ pool, tags: tags.get(pool.id) ?? [] }));
  }

  /** `scope`: the caller's view, in which a named address scope must be visible. */
  async create(scope: Scope, input: SubnetPoolCreate): Promise<SubnetPoolRecord> {
    const cidrs = checkPrefixes(input.prefixes);
    const min = input.min_prefixlen ?? 8;
    const max = input.max_prefixlen ?? 32;
    const def = input.default_prefixlen ?? min;
    checkBounds(min, def, max);
    if (input.address_scope_id !== null) onlyIpv4((await this.scopes.getRow(scope, input.address_scope_id)).ip_version);
    const now = nowIso();
    const row: SubnetPoolRow = {
      id: randomUUID(), project_id: input.project_id, name: input.name, description: input.description, ip_version: 4,
      default_prefixlen: def, min_prefixlen: min, max_prefixlen: max, shared: input.shared ? 1 : 0, is_default: input.is_default ? 1 : 0,
      address_scope_id: input.address_scope_id, prefixes: JSON.stringify(cidrs.map(formatCidr)), revision_number: 1, created_at: now, updated_at: now,
    };
    await this.db.insertInto('neutron_subnetpools').values(row).execute();
    return { pool: row, tags: [] };
  }

  async update(scope: Scope, current: SubnetPoolRow, patch: SubnetPoolUpdate): Promise<SubnetPoolRecord> {
    const old = checkPrefixes(JSON.parse(current.prefixes) as string[]);
    const cidrs = patch.prefixes === undefined ? old : checkPrefixes(patch.prefixes);
    // Neutron's IllegalSubnetPoolPrefixUpdate: prefixes may grow, never shrink.
    for (const o of old) {
      if (!cidrs.some((c) => c.prefix <= o.prefix && cidrsOverlap(c, o))) {
        throw new BadRequest(`Illegal update to prefixes: Existing prefix ${formatCidr(o)} is not contained in the new prefixes.`, { type: 'IllegalSubnetPoolPrefixUpdate' });
      }
    }
    const min = patch.min_prefixlen ?? current.min_prefixlen;
    const max = patch.max_prefixlen ?? current.max_prefixlen;
    const def = patch.default_prefixlen ?? current.default_prefixlen;
    checkBounds(min, def, max);
    if (patch.address_scope_id) await this.scopes.getRow(scope, patch.address_scope_id);
    const values: Partial<SubnetPoolRow> = { prefixes: JSON.stringify(cidrs.map(formatCidr)), min_prefixlen: min, max_prefixlen: max, default_prefixlen: def };
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.description !== undefined) values.description = patch.description;
    if (patch.is_default !== undefined) values.is_default = patch.is_default ? 1 : 0;
    if (patch.address_scope_id !== undefined) values.address_scope_id = patch.address_scope_id;
    await this.db.updateTable('neutron_subnetpools').set({ ...values, updated_at: nowIso(), revision_number: current.revision_number + 1 })
      .where('id', '=', current.id).execute();
    return this.get({ isAdmin: true, projectId: '' }, current.id);
  }

  async delete(current: SubnetPoolRow): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const used = await trx.selectFrom('neutron_subnets').select('id').where('subnetpool_id', '=', current.id).limit(1).executeTakeFirst();
      if (used) {
        throw new Conflict(`Unable to complete operation on subnet pool ${current.id}. There are one or more subnets still using this subnet pool.`, { type: 'SubnetPoolInUse' });
      }
      await trx.deleteFrom('neutron_tags').where('resource_id', '=', current.id).execute();
      await trx.deleteFrom('neutron_subnetpools').where('id', '=', current.id).execute();
    });
  }
}

/**
 * The cidr a subnet gets from `pool` (inside the caller's transaction, the
 * pool locked; `pending`: cidrs of the pool this request already took): the asked one when it lies in the pool and is free, else the
 * first free block of `prefixlen` (the pool's default when not given).
 */
export async function allocateFromPool(
  trx: NetworkDb, pool: SubnetPoolRow, req: { cidr?: string; prefixlen?: number }, pending: readonly string[] = [],
): Promise<string> {
  const prefixes = checkPrefixes(JSON.parse(pool.prefixes) as string[]);
  const stored = (await trx.selectFrom('neutron_subnets').select('cidr').where('subnetpool_id', '=', pool.id).execute()).map((s) => s.cidr);
  const used = [...stored, ...pending]
    .map((s) => parseCidr(s)).filter((p): p is { ok: true; cidr: Ipv4Cidr } => p.ok).map((p) => p.cidr);
  const free = (c: Ipv4Cidr) => !used.some((u) => cidrsOverlap(u, c));
  if (req.cidr !== undefined) {
    const parsed = parseCidr(req.cidr);
    if (!parsed.ok) throw invalidInput(`'${req.cidr}' is not a valid IP subnet`);
    const c = parsed.cidr;
    checkPrefixLength(pool, c.prefix);
    if (!prefixes.some((p) => p.prefix <= c.prefix && cidrsOverlap(p, c))) {
      throw new BadRequest(`Failed to allocate subnet: Cidr ${req.cidr} not in subnet pool ${pool.id}.`, { type: 'SubnetAllocationError' });
    }
    if (!free(c)) throw new BadRequest(`Failed to allocate subnet: Cidr ${req.cidr} overlaps with another subnet of pool ${pool.id}.`, { type: 'SubnetAllocationError' });
    return formatCidr(c);
  }
  const len = req.prefixlen ?? pool.default_prefixlen;
  checkPrefixLength(pool, len);
  const size = 2 ** (32 - len);
  for (const p of [...prefixes].sort((a, b) => a.network - b.network)) {
    if (p.prefix > len) continue;
    for (let net = p.network; net + size - 1 <= p.broadcast; net += size) {
      const c = { network: net, prefix: len, broadcast: net + size - 1 };
      if (free(c)) return formatCidr(c);
    }
  }
  throw new Conflict('Failed to allocate subnet: Insufficient prefix space to allocate subnet size /' + len + '.', { type: 'SubnetAllocationError' });
}

function checkPrefixLength(pool: SubnetPoolRow, len: number): void {
  if (len < pool.min_prefixlen) {
    throw new BadRequest(`Unable to allocate subnet with prefix length ${len}, minimum allowed prefix is ${pool.min_prefixlen}.`, { type: 'MinPrefixSubnetAllocationError' });
  }
  if (len > pool.max_prefixlen) {
    throw new BadRequest(`Unable to allocate subnet with prefix length ${len}, maximum allowed prefix is ${pool.max_prefixlen}.`, { type: 'MaxPrefixSubnetAllocationError' });
  }
}
