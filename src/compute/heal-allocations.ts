/**
 * The audit run after start-up recovery and by `kilonova heal-allocations`
 * (Nova's `nova-manage placement audit` and `heal_allocations` in one): what
 * the compute records, placement and the network service disagree on.
 *
 * - an allocation on a compute node whose consumer is not a live server
 *   holds capacity no one uses: removed;
 * - a port bound to a server (device_owner compute:*) that is gone keeps its
 *   address: released (deleted when compute made it, unbound when a user did,
 *   as a server delete does);
 * - a settled server on a host with no allocation is invisible to the
 *   scheduler, which would overfill its host: one is written from its flavor.
 *
 * With dryRun it only reports.
 */
import type { Logger } from 'pino';
import type { ComputeDb } from './db/tables.js';
import type { PlacementClient, Resources } from './clients.js';
import type { Flavor } from '../objects/flavor.js';
import { resourcesForFlavor } from '../scheduler/manager.js';
import { VmState } from './vm-states.js';

export interface HealDeps {
  db: ComputeDb;
  placement: Pick<PlacementClient, 'claimResources' | 'deleteAllocations'> & {
    getProviderAllocations(rpUuid: string): Promise<{ allocations: Record<string, { resources: Resources }> }>;
  };
  network: {
    computePorts(): Promise<Array<{ id: string; deviceId: string; createdByCompute: boolean }>>;
    deallocateForInstance(instanceUuid: string): Promise<void>;
  };
  logger: Logger;
}

export interface HealReport {
  dryRun: boolean;
  orphanAllocations: Array<{ consumer: string; provider: string; resources: Resources; removed: boolean }>;
  orphanPorts: Array<{ port: string; device: string; action: 'delete' | 'unbind'; released: boolean }>;
  missingAllocations: Array<{ instance: string; provider: string | null; resources: Resources; written: boolean }>;
}

/** States in which a server on a host holds its resources (a failed build has given them back). */
const HOLDS_RESOURCES: readonly string[] = [VmState.ACTIVE, VmState.STOPPED, VmState.PAUSED, VmState.SUSPENDED];

export async function healAllocations(deps: HealDeps, opts: { dryRun: boolean }): Promise<HealReport> {
  const { db, placement, network, logger } = deps;
  const report: HealReport = { dryRun: opts.dryRun, orphanAllocations: [], orphanPorts: [], missingAllocations: [] };
  const instances = await db.selectFrom('instances')
    .select(['uuid', 'host', 'node', 'vm_state', 'task_state', 'flavor', 'project_id', 'user_id'])
    .where('deleted', '=', 0).execute();
  const live = new Set(instances.map((i) => i.uuid));
  // A move under way holds its source's resources under the migration's uuid (until confirm, revert or the end of a live migration).
  const moving = await db.selectFrom('migrations').select('uuid').where('deleted', '=', 0)
    .where('status', 'not in', ['confirmed', 'reverted', 'completed', 'cancelled', 'error', 'failed', 'done']).execute();
  for (const m of moving) live.add(m.uuid);
  const nodes = await db.selectFrom('compute_nodes').select(['uuid', 'host', 'hypervisor_hostname']).where('deleted', '=', 0).execute();

  const allocated = new Set<string>();
  for (const node of nodes) {
    const held = await placement.getProviderAllocations(node.uuid).catch(() => ({ allocations: {} }));
    for (const [consumer, { resources }] of Object.entries(held.allocations)) {
      allocated.add(consumer);
      if (!live.has(consumer)) report.orphanAllocations.push({ consumer, provider: node.uuid, resources, removed: false });
    }
  }
  // A consumer's allocations go as one, whatever providers they span.
  const removedConsumers = new Map<string, boolean>();
  for (const orphan of report.orphanAllocations) {
    if (!opts.dryRun && !removedConsumers.has(orphan.consumer)) {
      removedConsumers.set(orphan.consumer, await placement.deleteAllocations(orphan.consumer).then(() => true, (err) => {
        logger.error({ err, consumer: orphan.consumer }, 'could not remove an orphan allocation');
        return false;
      }));
    }
    orphan.removed = removedConsumers.get(orphan.consumer) ?? false;
    logger.warn({ consumer: orphan.consumer, resource_provider: orphan.provider, resources: orphan.resources, removed: orphan.removed }, 'allocation without a server');
  }

  const ports = await network.computePorts();
  const releasedDevices = new Map<string, boolean>();
  for (const port of ports) {
    // An empty device_id names no server; releasing "its" ports would touch unrelated ones.
    if (!port.deviceId || live.has(port.deviceId)) continue;
    if (!opts.dryRun && !releasedDevices.has(port.deviceId)) {
      releasedDevices.set(port.deviceId, await network.deallocateForInstance(port.deviceId).then(() => true, (err) => {
        logger.error({ err, device_id: port.deviceId }, 'could not release an orphan port');
        return false;
      }));
    }
    const entry = { port: port.id, device: port.deviceId, action: port.createdByCompute ? 'delete' as const : 'unbind' as const, released: releasedDevices.get(port.deviceId) ?? false };
    report.orphanPorts.push(entry);
    logger.warn({ port_id: entry.port, device_id: entry.device, action: entry.action, released: entry.released }, 'port bound to a server that does not exist');
  }

  for (const inst of instances) {
    if (!inst.host || inst.task_state !== null || !HOLDS_RESOURCES.includes(inst.vm_state) || allocated.has(inst.uuid)) continue;
    const node = nodes.find((n) => n.host === inst.host && (!inst.node || n.hypervisor_hostname === inst.node));
    const resources = resourcesForFlavor(JSON.parse(inst.flavor) as Flavor);
    const entry = { instance: inst.uuid, provider: node?.uuid ?? null, resources, written: false };
    if (!opts.dryRun && node) {
      entry.written = await placement.claimResources({
        consumerUuid: inst.uuid, allocations: { [node.uuid]: { resources } },
        projectId: inst.project_id, userId: inst.user_id, consumerGeneration: null,
      }).catch((err) => {
        logger.error({ err, instance: inst.uuid }, 'could not write the allocation of a server');
        return false;
      });
    }
    report.missingAllocations.push(entry);
    logger.warn({ instance: inst.uuid, resource_provider: entry.provider, resources, written: entry.written }, 'server without an allocation');
  }
  return report;
}

/** The report as lines for a person: what was found and what was (or would be) done. */
export function formatHealReport(report: HealReport): string[] {
  const res = (r: Resources) => Object.keys(r).sort().map((k) => `${k}=${r[k]}`).join(', ');
  const did = (done: boolean, what: string, wouldWhat: string) => (report.dryRun ? `would ${wouldWhat}` : done ? what : `could not ${wouldWhat}`);
  const lines: string[] = [];
  for (const a of report.orphanAllocations) {
    lines.push(`orphan allocation: consumer ${a.consumer} on provider ${a.provider} (${res(a.resources)}): ${did(a.removed, 'removed', 'remove')}`);
  }
  for (const p of report.orphanPorts) {
    lines.push(`orphan port: ${p.port} (device ${p.device}): ${did(p.released, p.action === 'delete' ? 'deleted' : 'unbound', p.action)}`);
  }
  for (const m of report.missingAllocations) {
    const where = m.provider ? `provider ${m.provider}` : 'no compute node of its host';
    lines.push(`missing allocation: server ${m.instance} on ${where} (${res(m.resources)}): ${m.provider ? did(m.written, 'written', 'write') : 'cannot be written'}`);
  }
  lines.push(`${report.orphanAllocations.length} orphan allocations, ${report.orphanPorts.length} orphan ports, ${report.missingAllocations.length} servers without an allocation` +
    (report.dryRun ? ' (dry run: nothing changed)' : ''));
  return lines;
}
