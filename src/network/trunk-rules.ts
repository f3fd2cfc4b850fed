/**
 * Neutron's rules for what may go into a trunk (neutron/services/trunk/rules.py),
 * checked in Neutron's order so the first fault a request meets is the one
 * Neutron would give.
 */
import { showValue } from '../http/validation.js';
import type { NetworkDb, PortRow } from './tables.js';
import type { Scope, SubportRequest } from './model.js';
import { portScope } from './ports.js';
import {
  invalidInput, parentPortInUse, portInUse, portNotFound, subportMtuTooBig, trunkPortInUse,
} from './errors.js';

/** A subport whose segmentation has been checked. */
export interface Subport { port_id: string; segmentation_type: string; segmentation_id: number }

/** The segmentation types our bridges can carry, with the ids each allows (802.1Q's usable VLAN ids). */
const SEGMENTATION_TYPES: Record<string, (id: number) => boolean> = {
  vlan: (id) => id >= 1 && id <= 4094,
};

/** Subport segmentation copied from the subport's network; it needs the provider extension, which we lack. */
const INHERIT = 'inherit';

async function visiblePort(db: NetworkDb, scope: Scope, portId: string): Promise<PortRow> {
  let q = db.selectFrom('neutron_ports').selectAll().where('id', '=', portId);
  const s = portScope(scope);
  if (s) q = q.where(s);
  const row = await q.executeTakeFirst();
  if (!row) throw portNotFound(portId);
  return row;
}

/** Neither a subport nor a trunk's parent already. */
async function assertUnused(db: NetworkDb, portId: string): Promise<void> {
  const sub = await db.selectFrom('neutron_subports').select('port_id').where('port_id', '=', portId).executeTakeFirst();
  if (sub) throw trunkPortInUse(portId);
  const parent = await db.selectFrom('neutron_trunks').select('id').where('port_id', '=', portId).executeTakeFirst();
  if (parent) throw parentPortInUse(portId);
}

/**
 * The parent port, when it may become one: unused by any trunk, visible to
 * the caller, and unbound unless the driver trunks bound ports (Linux
 * bridge does, Open vSwitch does not).
 */
export async function checkParentPort(db: NetworkDb, scope: Scope, portId: string, canTrunkBoundPort: boolean): Promise<PortRow> {
  await assertUnused(db, portId);
  const port = await visiblePort(db, scope, portId);
  if (port.binding_host_id !== '' && !canTrunkBoundPort) throw parentPortInUse(portId);
  return port;
}

async function mtuOf(db: NetworkDb, networkId: string): Promise<number | undefined> {
  const n = await db.selectFrom('neutron_networks').select('mtu').where('id', '=', networkId).executeTakeFirst();
  return n?.mtu;
}

function segmentationOf(s: SubportRequest): { type: string; id: number } {
  if (s.segmentation_type === undefined || s.segmentation_type === null || s.segmentation_id === undefined || s.segmentation_id === null) {
    throw invalidInput(`Invalid subport details '${showValue(s)}': missing segmentation information. Must specify both segmentation_id and segmentation_type`);
  }
  const raw = s.segmentation_id;
  const id = typeof raw === 'number' && Number.isInteger(raw) ? raw
    : typeof raw === 'string' && /^\s*[-+]?\d+\s*$/.test(raw) ? Number(raw) : undefined;
  if (id === undefined) throw invalidInput(`Invalid subport details: segmentation_id '${showValue(raw)}' is not an integer`);
  const type = showValue(s.segmentation_type);
  const inRange = SEGMENTATION_TYPES[type];
  if (!inRange) throw invalidInput(`Unknown segmentation_type '${type}'`);
  if (!inRange(id)) throw invalidInput(`Segmentation ID '${id}' is not in range`);
  return { type, id };
}

/**
 * Subports for a trunk whose parent is `parent`: none is the parent, none
 * has a bigger MTU than the parent, each has a valid segmentation, and each
 * is a port the caller sees that nothing else uses.
 */
export async function checkSubports(db: NetworkDb, scope: Scope, parent: PortRow, requested: readonly SubportRequest[]): Promise<Subport[]> {
  if (requested.some((s) => s.segmentation_type === INHERIT)) throw invalidInput(`Cannot accept segmentation type ${INHERIT}`);
  const parentMtu = await mtuOf(db, parent.network_id);
  const out: Subport[] = [];
  for (const s of requested) {
    if (s.port_id === parent.id) throw parentPortInUse(s.port_id);
    const port = await db.selectFrom('neutron_ports').select(['network_id']).where('id', '=', s.port_id).executeTakeFirst();
    const mtu = port ? await mtuOf(db, port.network_id) : undefined;
    if (parentMtu !== undefined && mtu !== undefined && mtu > parentMtu) throw subportMtuTooBig(s.port_id, mtu, parent.id, parentMtu);
    const seg = segmentationOf(s);
    await assertUnused(db, s.port_id);
    const row = await visiblePort(db, scope, s.port_id);
    // A port some device uses (a server, a router) would change under it.
    if (row.device_id !== '') throw portInUse(row.id, row.network_id, row.device_id);
    out.push({ port_id: s.port_id, segmentation_type: seg.type, segmentation_id: seg.id });
  }
  return out;
}
