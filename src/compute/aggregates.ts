/**
 * AggregateAPI: the rules of host aggregates (Nova's compute.api.AggregateAPI).
 * A host may sit in several aggregates but in one availability zone only; a
 * zone may not change under hosts that run servers; membership is mirrored to
 * placement aggregates of the host's resource provider so that placement can
 * answer member_of queries for it.
 */
import type { Logger } from 'pino';
import { BadRequest, Conflict, NotFound } from '../errors.js';
import {
  AZ_KEY, addAggregateHost, countInstancesOnHosts, createAggregate, deleteAggregate, getAggregate, hostZones, listAggregates,
  removeAggregateHost, renameAggregate, setInstancesZone, updateAggregateMetadata, zonedAggregatesOf, type Aggregate,
} from './aggregate-store.js';
import type { ComputeDb } from './db/tables.js';
import { computeServiceOf, firstNodeOf } from './host-store.js';

/** The part of placement that keeps a provider's aggregates (generation-checked replace). */
export interface ProviderAggregatesClient {
  getAggregates(rpUuid: string): Promise<{ aggregates: string[]; generation: number }>;
  setAggregates(rpUuid: string, aggregates: string[], generation?: number): Promise<unknown>;
}

export interface AggregateApiDeps {
  db: ComputeDb;
  defaultZone: string;
  logger: Logger;
  placement?: ProviderAggregatesClient;
}

type Action = 'add' | 'delete' | 'update' | 'update_meta';

/** Nova's InvalidAggregateAction* messages; adding a host answers 409, the others 400. */
function invalidAction(action: Action, id: number, reason: string): Error {
  const what = {
    add: `Cannot add host to aggregate ${id}`,
    delete: `Cannot remove host from aggregate ${id}`,
    update: `Cannot update aggregate ${id}`,
    update_meta: `Cannot update metadata of aggregate ${id}`,
  }[action];
  const message = `${what}. Reason: ${reason}.`;
  return action === 'add' ? new Conflict(message) : new BadRequest(message);
}

/** Python's repr of a list of strings, as Nova puts it in its messages. */
function pyList(items: readonly string[]): string {
  return `[${items.map((i) => `'${i}'`).join(', ')}]`;
}

export class AggregateAPI {
  constructor(private readonly deps: AggregateApiDeps) {}

  list(): Promise<Aggregate[]> {
    return listAggregates(this.deps.db);
  }

  get(id: number): Promise<Aggregate> {
    return getAggregate(this.deps.db, id);
  }

  create(name: string, zone: string | null): Promise<Aggregate> {
    return createAggregate(this.deps.db, name, zone ? { [AZ_KEY]: zone } : {});
  }

  async update(id: number, values: { name?: string; availability_zone?: string | null }): Promise<Aggregate> {
    const { db } = this.deps;
    const agg = await this.get(id);
    const { name, ...meta } = values;
    // Checked before anything is written, so a refused zone leaves the name as it was.
    await this.checkZoneChange(agg, meta, agg.hosts, 'update', true);
    if (name !== undefined) await renameAggregate(db, agg, name);
    if (Object.keys(meta).length > 0) {
      await updateAggregateMetadata(db, agg, meta);
      await this.refreshZones(agg.hosts);
    }
    return this.get(id);
  }

  async setMetadata(id: number, metadata: Record<string, string | null>): Promise<Aggregate> {
    const agg = await this.get(id);
    await this.checkZoneChange(agg, metadata, agg.hosts, 'update_meta', true);
    await updateAggregateMetadata(this.deps.db, agg, metadata);
    await this.refreshZones(agg.hosts);
    return this.get(id);
  }

  async delete(id: number): Promise<void> {
    const agg = await this.get(id);
    if (agg.hosts.length > 0) throw invalidAction('delete', id, 'Host aggregate is not empty');
    await deleteAggregate(this.deps.db, agg);
  }

  async addHost(id: number, host: string): Promise<Aggregate> {
    const { db } = this.deps;
    const service = await computeServiceOf(db, host);
    if (!service || service.host !== host) throw new NotFound(`Compute host ${host} could not be found.`);
    const agg = await this.get(id);
    await this.checkZoneChange(agg, agg.metadata, [host], 'add', false);
    if (!(await addAggregateHost(db, agg, host))) throw new Conflict(`Aggregate ${id} already has host ${host}.`);
    await this.mirror(host, agg.uuid, 'add');
    await this.refreshZones([host]);
    return this.get(id);
  }

  async removeHost(id: number, host: string): Promise<Aggregate> {
    const { db } = this.deps;
    const notHere = () => new NotFound(`Cannot remove host ${host} in aggregate ${id}`);
    const service = await computeServiceOf(db, host);
    if (!service) throw notHere();
    const agg = await this.get(id).catch((err) => {
      throw err instanceof NotFound ? notHere() : err;
    });
    if (!agg.hosts.includes(host)) throw notHere();
    await this.mirror(host, agg.uuid, 'remove');
    await removeAggregateHost(db, agg, host);
    await this.refreshZones([host]);
    return this.get(id);
  }

  /** Takes a host out of every aggregate it is in (its compute service is being deleted). */
  async forgetHost(host: string): Promise<void> {
    for (const agg of await listAggregates(this.deps.db)) {
      if (!agg.hosts.includes(host)) continue;
      await this.mirror(host, agg.uuid, 'remove');
      await removeAggregateHost(this.deps.db, agg, host);
    }
  }

  /**
   * Whether giving `hosts` the zone in `metadata` is allowed: no empty zone
   * name, no host already in another zone, and (when asked) no server on
   * hosts whose zone would change under it.
   */
  private async checkZoneChange(agg: Aggregate, metadata: Record<string, string | null | undefined>, hosts: readonly string[], action: Action, noInstances: boolean): Promise<void> {
    if (!Object.hasOwn(metadata, AZ_KEY)) return;
    const zone = metadata[AZ_KEY];
    if (!zone) throw invalidAction(action, agg.id, `Aggregate ${agg.name} does not support empty named availability zone`);
    const conflicting = (await zonedAggregatesOf(this.deps.db, hosts)).filter((a) => a.zone !== zone && a.id !== agg.id).map((a) => a.zone);
    if (conflicting.length > 0) throw invalidAction(action, agg.id, `One or more hosts already in availability zone(s) ${pyList(conflicting)}`);
    if (noInstances && agg.metadata[AZ_KEY] !== zone && (await countInstancesOnHosts(this.deps.db, hosts)) > 0) {
      throw invalidAction(action, agg.id, 'One or more hosts contain instances in this zone');
    }
  }

  /** Servers on these hosts show the zone their host is now in. */
  private async refreshZones(hosts: readonly string[]): Promise<void> {
    const zones = await hostZones(this.deps.db, hosts);
    for (const host of hosts) await setInstancesZone(this.deps.db, host, zones.get(host) ?? this.deps.defaultZone);
  }

  /**
   * Puts the host's resource provider in (or out of) the placement aggregate
   * of the same uuid. A failure is logged, not fatal: the aggregate itself is
   * right, and placement can be brought in line later (as Nova does).
   */
  private async mirror(host: string, aggUuid: string, op: 'add' | 'remove'): Promise<void> {
    const { placement, logger, db } = this.deps;
    if (!placement) return;
    const node = await firstNodeOf(db, host);
    if (!node) return;
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        const current = await placement.getAggregates(node.uuid);
        const has = current.aggregates.includes(aggUuid);
        if (op === 'add' ? has : !has) return;
        const wanted = op === 'add' ? [...current.aggregates, aggUuid] : current.aggregates.filter((a) => a !== aggUuid);
        await placement.setAggregates(node.uuid, wanted, current.generation);
        return;
      } catch (err) {
        // A generation conflict means another writer got there first: read again and retry.
        if ((err as { status?: number }).status === 409 && attempt < 3) continue;
        logger.warn({ err, host, node: node.uuid, aggregate: aggUuid }, `could not ${op} the host's resource provider in the placement aggregate`);
        return;
      }
    }
  }
}
