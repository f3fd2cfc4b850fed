/** Subnets: IPv4 address blocks on a network, with the pools IPAM draws from. */
import { randomUUID } from 'node:crypto';
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import { increasingNowIso, nowIso } from '../db/schema-helpers.js';
import { BadRequest } from '../errors.js';
import type { NetworkDb, SubnetRow } from './tables.js';
import { listRows, type ListableTable, type ListRequest } from './listing.js';
import { gatewayIpInUse, invalidInput, networkNotFound, subnetInUse, subnetNotFound } from './errors.js';
import { cidrsOverlap, formatCidr, formatIpv4, parseIpv4 } from './ipv4.js';
import { poolsOf, subnetCidr, type AddressHints } from './ipam.js';
import { checkCidr, checkGateway, checkHostRoutes, checkNameservers, checkPools } from './subnet-rules.js';
import { tagsFor } from './tags.js';
import { allocateFromPool, subnetPoolNotFound } from './subnet-pools.js';
import { SERVICE_DEVICE_OWNERS } from './networks.js';
import type { KeyedMutex } from './keyed-mutex.js';
import type { Scope, SubnetCreate, SubnetRecord, SubnetUpdate } from './model.js';

export const SUBNET_LISTING: ListableTable = {
  table: 'neutron_subnets',
  taggable: true,
  attrs: {
    id: { column: 'id', kind: 'string' },
    name: { column: 'name', kind: 'string' },
    project_id: { column: 'project_id', kind: 'string' },
    tenant_id: { column: 'project_id', kind: 'string' },
    network_id: { column: 'network_id', kind: 'string' },
    ip_version: { column: 'ip_version', kind: 'int' },
    cidr: { column: 'cidr', kind: 'string' },
    gateway_ip: { column: 'gateway_ip', kind: 'string' },
    enable_dhcp: { column: 'enable_dhcp', kind: 'bool' },
    description: { column: 'description', kind: 'string' },
    revision_number: { column: 'revision_number', kind: 'int' },
    created_at: { column: 'created_at', kind: 'string' },
    updated_at: { column: 'updated_at', kind: 'string' },
  },
};

/** A project sees its own subnets and every subnet of a network it owns or that is shared. */
export function subnetScope(scope: Scope): ((eb: ExpressionBuilder<any, any>) => Expression<SqlBool>) | null {
  if (scope.isAdmin) return null;
  return (eb) => eb.or([
    eb('neutron_subnets.project_id', '=', scope.projectId),
    eb('neutron_subnets.network_id', 'in', eb.selectFrom('neutron_networks').select('neutron_networks.id')
      .where((n) => n.or([n('neutron_networks.shared', '=', 1), n('neutron_networks.project_id', '=', scope.projectId)]))),
  ]);
}

export class SubnetStore {
  constructor(private readonly db: NetworkDb, private readonly locks: KeyedMutex, private readonly hints: AddressHints) {}

  async getRow(scope: Scope, id: string): Promise<SubnetRow> {
    let q = this.db.selectFrom('neutron_subnets').selectAll().where('id', '=', id);
    const s = subnetScope(scope);
    if (s) q = q.where(s);
    const row = await q.executeTakeFirst();
    if (!row) throw subnetNotFound(id);
    return row;
  }

  async get(scope: Scope, id: string): Promise<SubnetRecord> {
    const row = await this.getRow(scope, id);
    const tags = await tagsFor(this.db, [id]);
    return { subnet: row, tags: tags.get(id) ?? [] };
  }

  async list(scope: Scope, req: ListRequest): Promise<{ records: SubnetRecord[]; hasMore: boolean }> {
    const { rows, hasMore } = await listRows<SubnetRow>(this.db, SUBNET_LISTING, req, subnetScope(scope), subnetNotFound);
    const tags = await tagsFor(this.db, rows.map((r) => r.id));
    return { records: rows.map((subnet) => ({ subnet, tags: tags.get(subnet.id) ?? [] })), hasMore };
  }

  /** The subnets of a network in creation order (the order auto-allocation tries them). */
  async forNetwork(networkId: string): Promise<SubnetRow[]> {
    return this.db.selectFrom('neutron_subnets').selectAll().where('network_id', '=', networkId)
      .orderBy('created_at').orderBy('id').execute();
  }

  /** All or nothing; the networks must exist (the caller checked the caller may use them). */
  async create(inputs: SubnetCreate[], opts: { id?: string } = {}): Promise<SubnetRecord[]> {
    const networkIds = [...new Set(inputs.map((i) => i.network_id))];
    const poolIds = [...new Set(inputs.flatMap((i) => (i.subnetpool_id ? [i.subnetpool_id] : [])))];
    const keys = [...networkIds.map((n) => `net:${n}`), ...poolIds.map((p) => `pool:${p}`)];
    return this.locks.run(keys, () => this.db.transaction().execute(async (trx) => {
      const existing = networkIds.length === 0 ? [] : await trx.selectFrom('neutron_subnets').selectAll()
        .where('network_id', 'in', networkIds).execute();
      const networks = networkIds.length === 0 ? [] : await trx.selectFrom('neutron_networks').select(['id', 'revision_number'])
        .where('id', 'in', networkIds).execute();
      const rows: SubnetRow[] = [];
      for (const input of inputs) {
        // Strictly increasing: IP allocation tries a network's subnets in creation order.
        const now = increasingNowIso();
        if (!networks.some((n) => n.id === input.network_id)) throw networkNotFound(input.network_id);
        if (input.ip_version !== 4) throw new BadRequest('Only IPv4 subnets (ip_version 4) are supported by this cloud.');
        let cidrText = input.cidr;
        if (input.subnetpool_id !== undefined) {
          const pool = await trx.selectFrom('neutron_subnetpools').selectAll().where('id', '=', input.subnetpool_id).executeTakeFirst();
          if (!pool) throw subnetPoolNotFound(input.subnetpool_id);
          // The pool's other subnets made in this request are not in the table yet.
          const pending = rows.filter((r) => r.subnetpool_id === pool.id).map((r) => r.cidr);
          cidrText = await allocateFromPool(trx, pool, { cidr: input.cidr, prefixlen: input.prefixlen }, pending);
        }
        if (cidrText === undefined) throw new BadRequest('Bad subnet request: a cidr must be specified in the absence of a subnet pool.', { type: 'BadRequest' });
        const cidr = checkCidr(cidrText);
        for (const other of [...existing, ...rows].filter((s) => s.network_id === input.network_id)) {
          if (cidrsOverlap(cidr, subnetCidr(other))) {
            throw invalidInput(`Requested subnet with cidr: ${formatCidr(cidr)} for network: ${input.network_id} overlaps with another subnet`);
          }
        }
        const gateway = checkGateway(cidr, input.gateway_ip);
        const pools = checkPools(cidr, gateway, input.allocation_pools);
        rows.push({
          id: inputs.length === 1 && opts.id ? opts.id : randomUUID(),
          network_id: input.network_id,
          project_id: input.project_id,
          name: input.name,
          description: input.description,
          ip_version: 4,
          cidr: formatCidr(cidr),
          gateway_ip: gateway === null ? null : formatIpv4(gateway),
          enable_dhcp: input.enable_dhcp ? 1 : 0,
          allocation_pools: JSON.stringify(pools),
          dns_nameservers: JSON.stringify(checkNameservers(input.dns_nameservers)),
          host_routes: JSON.stringify(checkHostRoutes(input.host_routes)),
          subnetpool_id: input.subnetpool_id ?? null,
          revision_number: 1,
          created_at: now,
          updated_at: now,
        });
      }
      if (rows.length > 0) await trx.insertInto('neutron_subnets').values(rows).execute();
      for (const n of networks) {
        await trx.updateTable('neutron_networks').set({ revision_number: n.revision_number + 1, updated_at: nowIso() })
          .where('id', '=', n.id).execute();
      }
      return rows.map((subnet) => ({ subnet, tags: [] }));
    }));
  }

  async update(current: SubnetRow, patch: SubnetUpdate): Promise<SubnetRecord> {
    const cidr = subnetCidr(current);
    const values: Partial<SubnetRow> = {};
    let gateway = current.gateway_ip === null ? null : parseIpv4(current.gateway_ip);
    if (patch.gateway_ip !== undefined) {
      gateway = checkGateway(cidr, patch.gateway_ip);
      values.gateway_ip = gateway === null ? null : formatIpv4(gateway);
      if (gateway !== null) {
        const holder = await this.db.selectFrom('neutron_ip_allocations').select('port_id')
          .where('subnet_id', '=', current.id).where('ip_int', '=', gateway).executeTakeFirst();
        if (holder) throw gatewayIpInUse(formatIpv4(gateway), holder.port_id);
      }
    }
    if (patch.allocation_pools !== undefined || patch.gateway_ip !== undefined) {
      values.allocation_pools = JSON.stringify(checkPools(cidr, gateway, patch.allocation_pools ?? poolsOf(current)));
    }
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.description !== undefined) values.description = patch.description;
    if (patch.enable_dhcp !== undefined) values.enable_dhcp = patch.enable_dhcp ? 1 : 0;
    if (patch.dns_nameservers !== undefined) values.dns_nameservers = JSON.stringify(checkNameservers(patch.dns_nameservers));
    if (patch.host_routes !== undefined) values.host_routes = JSON.stringify(checkHostRoutes(patch.host_routes));
    await this.db.updateTable('neutron_subnets')
      .set({ ...values, updated_at: nowIso(), revision_number: current.revision_number + 1 })
      .where('id', '=', current.id).execute();
    // New pools may start below the floor the old ones had.
    this.hints.forget(current.id);
    return this.get({ isAdmin: true, projectId: '' }, current.id);
  }

  /** Refuses while a port other than a service port holds an address from the subnet. */
  async delete(id: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const held = await trx.selectFrom('neutron_ip_allocations')
        .innerJoin('neutron_ports', 'neutron_ports.id', 'neutron_ip_allocations.port_id')
        .select('neutron_ports.id')
        .where('neutron_ip_allocations.subnet_id', '=', id)
        .where('neutron_ports.device_owner', 'not in', SERVICE_DEVICE_OWNERS)
        .limit(1).executeTakeFirst();
      if (held) throw subnetInUse(id);
      await trx.deleteFrom('neutron_ip_allocations').where('subnet_id', '=', id).execute();
      await trx.deleteFrom('neutron_tags').where('resource_id', '=', id).execute();
      const r = await trx.deleteFrom('neutron_subnets').where('id', '=', id).executeTakeFirst();
      if (Number(r.numDeletedRows) === 0) throw subnetNotFound(id);
    });
  }
}
