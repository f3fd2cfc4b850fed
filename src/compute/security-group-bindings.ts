/**
 * Which security groups a server has: Nova with Neutron keeps that on the
 * server's ports. The instance row keeps the names too (what the server view
 * shows); every change here writes both.
 *
 * Ports made at boot carry no group yet, so the first change seeds them with
 * the groups the server was created with.
 */
import type { AuthContext } from '../http/auth.js';
import { ApiError, Conflict, NotFound } from '../errors.js';
import type { NetworkClient, SecurityGroupInfo } from './clients.js';
import type { ComputeDb } from './db/tables.js';
import { updateInstance, type InstanceRow } from './instance-store.js';

type Ports = Array<{ portId: string; groupIds: string[] }>;

function namesOf(json: string): string[] {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? v.filter((n): n is string => typeof n === 'string') : [];
  } catch {
    return [];
  }
}

/** Ports of the server, each carrying at least the groups the server was created with. */
async function seededPorts(network: NetworkClient, auth: AuthContext, row: InstanceRow): Promise<Ports> {
  const ports = await network.instancePortSecurityGroups(row.uuid);
  if (!ports.some((p) => p.groupIds.length === 0)) return ports;
  const ids: string[] = [];
  for (const name of namesOf(row.security_groups)) {
    try {
      ids.push((await network.findSecurityGroup(auth, name, row.project_id)).id);
    } catch (err) {
      // A group deleted since the server was made is simply not there any more.
      if (!(err instanceof ApiError && (err.status === 404 || err.status === 409))) throw err;
    }
  }
  for (const p of ports) {
    if (p.groupIds.length > 0) continue;
    await network.setPortSecurityGroups(p.portId, ids);
    p.groupIds = [...ids];
  }
  return ports;
}

/** The server's groups (with rules), from its ports; a server without ports has none. */
export async function instanceSecurityGroups(network: NetworkClient, auth: AuthContext, row: InstanceRow): Promise<SecurityGroupInfo[]> {
  const ports = await seededPorts(network, auth, row);
  return network.securityGroupsByIds([...new Set(ports.flatMap((p) => p.groupIds))]);
}

async function findForInstance(network: NetworkClient, auth: AuthContext, name: string): Promise<SecurityGroupInfo> {
  try {
    return await network.findSecurityGroup(auth, name);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw new NotFound(`Security group ${name} is not found for project ${auth.projectId}`);
    if (err instanceof ApiError && err.status === 409) throw new Conflict(err.message);
    throw err;
  }
}

async function recordNames(db: ComputeDb, network: NetworkClient, uuid: string, ports: Ports): Promise<void> {
  const groups = await network.securityGroupsByIds([...new Set(ports.flatMap((p) => p.groupIds))]);
  const names = [...new Set(groups.map((g) => g.name))].sort();
  await updateInstance(db, uuid, { security_groups: JSON.stringify(names) });
}

function noPorts(uuid: string): NotFound {
  return new NotFound(`instance_id ${uuid} could not be found as device id on any ports`);
}

export async function addSecurityGroupToInstance(db: ComputeDb, network: NetworkClient, auth: AuthContext, row: InstanceRow, name: string): Promise<void> {
  const group = await findForInstance(network, auth, name);
  const ports = await seededPorts(network, auth, row);
  if (ports.length === 0) throw noPorts(row.uuid);
  for (const p of ports) {
    if (p.groupIds.includes(group.id)) continue;
    p.groupIds = [...p.groupIds, group.id];
    await network.setPortSecurityGroups(p.portId, p.groupIds);
  }
  await recordNames(db, network, row.uuid, ports);
}

export async function removeSecurityGroupFromInstance(db: ComputeDb, network: NetworkClient, auth: AuthContext, row: InstanceRow, name: string): Promise<void> {
  const group = await findForInstance(network, auth, name);
  const ports = await seededPorts(network, auth, row);
  if (ports.length === 0) throw noPorts(row.uuid);
  let found = false;
  for (const p of ports) {
    if (!p.groupIds.includes(group.id)) continue;
    p.groupIds = p.groupIds.filter((id) => id !== group.id);
    await network.setPortSecurityGroups(p.portId, p.groupIds);
    found = true;
  }
  if (!found) throw new NotFound(`Security group ${name} not associated with the instance ${row.uuid}`);
  await recordNames(db, network, row.uuid, ports);
}
