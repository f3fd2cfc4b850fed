/**
 * How trunks reach their ports: subports follow the parent port's binding
 * (host, status), a trunk is ACTIVE while its parent is bound, a port in a
 * trunk cannot be deleted, and a parent port shows its trunk_details.
 *
 * Neutron's agents bind the subports once they wire the parent's VLANs; with
 * no agent between us and the host, the binding is carried over in the same
 * step that binds the parent, so the subports are ACTIVE by the time the
 * server that uses the parent is.
 */
import { sql } from 'kysely';
import { nowIso } from '../db/schema-helpers.js';
import type { NetworkDb } from './tables.js';
import { portInUseAsSubport, portInUseAsTrunkParent } from './errors.js';

/** The device_owner Neutron gives a port while it serves as a subport. */
export const SUBPORT_DEVICE_OWNER = 'trunk:subport';

export const TRUNK_ACTIVE = 'ACTIVE';
export const TRUNK_DOWN = 'DOWN';

export interface TrunkDetails {
  trunk_id: string;
  sub_ports: Array<{ port_id: string; segmentation_type: string; segmentation_id: number; mac_address: string }>;
}

/**
 * Give the subports of the trunks whose parents are among `parentPortIds`
 * the parent's binding host (or none), and each trunk the status that goes
 * with it. Rows that already match are left alone, so revisions move only on
 * a real change.
 */
export async function followParentBinding(db: NetworkDb, parentPortIds: readonly string[]): Promise<void> {
  if (parentPortIds.length === 0) return;
  const trunks = await db.selectFrom('neutron_trunks')
    .innerJoin('neutron_ports', 'neutron_ports.id', 'neutron_trunks.port_id')
    .select(['neutron_trunks.id as trunk_id', 'neutron_trunks.status as status', 'neutron_ports.binding_host_id as host'])
    .where('neutron_trunks.port_id', 'in', [...parentPortIds])
    .execute();
  for (const t of trunks) {
    const now = nowIso();
    const subports = await db.selectFrom('neutron_ports')
      .innerJoin('neutron_subports', 'neutron_subports.port_id', 'neutron_ports.id')
      .select(['neutron_ports.id', 'neutron_ports.binding_host_id', 'neutron_ports.device_owner', 'neutron_ports.status', 'neutron_ports.admin_state_up'])
      .where('neutron_subports.trunk_id', '=', t.trunk_id)
      .execute();
    for (const p of subports) {
      const status = t.host !== '' && p.admin_state_up === 1 ? 'ACTIVE' : 'DOWN';
      if (p.binding_host_id === t.host && p.device_owner === SUBPORT_DEVICE_OWNER && p.status === status) continue;
      await db.updateTable('neutron_ports')
        .set({ binding_host_id: t.host, device_owner: SUBPORT_DEVICE_OWNER, status, updated_at: now, revision_number: sql`revision_number + 1` })
        .where('id', '=', p.id).execute();
    }
    const status = t.host !== '' ? TRUNK_ACTIVE : TRUNK_DOWN;
    if (status !== t.status) {
      await db.updateTable('neutron_trunks')
        .set({ status, updated_at: now, revision_number: sql`revision_number + 1` })
        .where('id', '=', t.trunk_id).execute();
    }
  }
}

/** Ports leaving a trunk are no longer bound through it: unbound, DOWN, no longer trunk:subport. */
export async function releaseSubports(db: NetworkDb, portIds: readonly string[]): Promise<void> {
  if (portIds.length === 0) return;
  await db.updateTable('neutron_ports')
    .set({ binding_host_id: '', device_owner: '', status: 'DOWN', updated_at: nowIso(), revision_number: sql`revision_number + 1` })
    .where('id', 'in', [...portIds]).execute();
}

/** Neutron refuses to delete a port a trunk uses, as a subport or as its parent. */
export async function assertNotInTrunk(db: NetworkDb, portId: string): Promise<void> {
  const sub = await db.selectFrom('neutron_subports').select('trunk_id').where('port_id', '=', portId).executeTakeFirst();
  if (sub) throw portInUseAsSubport(portId, sub.trunk_id);
  const parent = await db.selectFrom('neutron_trunks').select('id').where('port_id', '=', portId).executeTakeFirst();
  if (parent) throw portInUseAsTrunkParent(portId, parent.id);
}

/** Of the given ports, those a trunk uses (as parent or subport). */
export async function portsInTrunks(db: NetworkDb, portIds: readonly string[]): Promise<Set<string>> {
  if (portIds.length === 0) return new Set();
  const [parents, subs] = await Promise.all([
    db.selectFrom('neutron_trunks').select('port_id').where('port_id', 'in', [...portIds]).execute(),
    db.selectFrom('neutron_subports').select('port_id').where('port_id', 'in', [...portIds]).execute(),
  ]);
  return new Set([...parents, ...subs].map((r) => r.port_id));
}

/** trunk_details of the parent ports among `portIds`, by port id. */
export async function trunkDetailsFor(db: NetworkDb, portIds: readonly string[]): Promise<Map<string, TrunkDetails>> {
  const out = new Map<string, TrunkDetails>();
  if (portIds.length === 0) return out;
  const trunks = await db.selectFrom('neutron_trunks').select(['id', 'port_id']).where('port_id', 'in', [...portIds]).execute();
  if (trunks.length === 0) return out;
  const subs = await db.selectFrom('neutron_subports')
    .innerJoin('neutron_ports', 'neutron_ports.id', 'neutron_subports.port_id')
    .select(['neutron_subports.trunk_id', 'neutron_subports.port_id', 'neutron_subports.segmentation_type',
      'neutron_subports.segmentation_id', 'neutron_ports.mac_address'])
    .where('neutron_subports.trunk_id', 'in', trunks.map((t) => t.id))
    .orderBy('neutron_subports.segmentation_id').execute();
  for (const t of trunks) {
    out.set(t.port_id, {
      trunk_id: t.id,
      sub_ports: subs.filter((s) => s.trunk_id === t.id).map((s) => ({
        segmentation_id: Number(s.segmentation_id), segmentation_type: s.segmentation_type, port_id: s.port_id, mac_address: s.mac_address,
      })),
    });
  }
  return out;
}
