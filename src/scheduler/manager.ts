/**
 * SchedulerManager.selectDestinations: placement allocation candidates →
 * filters → weighers → claim, one host per instance plus alternates.
 */
import type { Logger } from 'pino';
import type { Config } from '../conf/options.js';
import type { RequestContext } from '../bus/context.js';
import type { ComputeDb } from '../compute/db/tables.js';
import type { PlacementClient, Resources } from '../compute/clients.js';
import { forcedHostSkipsFilters, groupHint, type RequestSpec, type Selection } from '../objects/index.js';
import type { RpcEndpoint } from '../bus/rpc.js';
import { enabledFilters, type HostFilter } from './filters/index.js';
import { cpuWeigher, ramWeigher, softAffinityWeigher, softAntiAffinityWeigher, weighHosts, type Weigher } from './weighers/index.js';
import type { FilterContext } from './filters/filter.js';
import { hintedUuids } from './filters/host-hint-filters.js';
import { hostsOfInstances } from '../compute/host-store.js';
import { groupPlacement } from '../compute/server-groups.js';
import { hostZones } from '../compute/aggregate-store.js';
import { allocationRequestOf, freeFromSummary, lastSeenMs, readComputeNodes, toHostState, type HostState } from './host-state.js';
import { HostStateCache, type ViewTiming } from './host-cache.js';
import { offersSnapshots, type PlacementSnapshots } from './provider-states.js';
import { ClaimLedger, type ClaimView } from './claim-ledger.js';
import { rpcEndpoint, type RpcArgs, type RpcHandlers } from '../rpc/rpc-api.js';
import { SCHEDULER_RPC_API } from './rpc-methods.js';

export class NoValidHost extends Error {
  constructor(reason = 'There are not enough hosts available.') {
    super(`No valid host was found. ${reason}`);
    this.name = 'NoValidHost';
  }
}

/**
 * Where a decision's candidate hosts come from: placement's answer now, or
 * the scheduler's own view.
 */
interface HostSource {
  /** Resources per provider of this scheduler's claims that the source may not show. */
  pending(): Map<string, Resources>;
  /** Null: this source cannot answer such a request. */
  hosts(resources: Resources): Promise<HostState[] | null>;
  /** Claims to attempt before giving up on the source. */
  claimTries: number;
}

/**
 * Refused claims after which a decision on the scheduler's own view gives up
 * and asks placement: a refusal means the view is behind (another scheduler's
 * claims), and the hosts after it are likely as stale.
 */
const CACHED_CLAIM_TRIES = 3;

export interface SchedulerDeps {
  db: ComputeDb;
  placement: PlacementClient;
  conf: Config;
  logger: Logger;
  /** When the scheduler's view of the hosts folds in its claims and is read again (tests shorten them). */
  viewTiming?: Partial<ViewTiming>;
}

/** The placement resources a flavor asks for (Nova's resources_from_request_spec). */
export function resourcesForFlavor(flavor: RequestSpec['flavor']): Resources {
  const res: Resources = {};
  if (flavor.vcpus > 0) res.VCPU = flavor.vcpus;
  if (flavor.memory_mb > 0) res.MEMORY_MB = flavor.memory_mb;
  const disk = flavor.root_gb + flavor.ephemeral_gb + Math.ceil(flavor.swap / 1024);
  if (disk > 0) res.DISK_GB = disk;
  return res;
}

export class SchedulerManager implements RpcHandlers<typeof SCHEDULER_RPC_API> {
  private readonly filters: HostFilter[];
  private readonly weighers: Weigher[];
  private readonly claims = new ClaimLedger();
  /** The scheduler's own view of the hosts, when placement can hand one over (in-process placement). */
  private readonly cache: HostStateCache | null;
  /** Placement, when the view is kept: claims then tell the generations they leave their providers at. */
  private readonly snapshots: PlacementSnapshots | null;

  constructor(private readonly deps: SchedulerDeps) {
    this.filters = enabledFilters(deps.conf.filter_scheduler.enabled_filters);
    this.weighers = [
      ramWeigher(deps.conf.filter_scheduler.ram_weight_multiplier),
      cpuWeigher(deps.conf.filter_scheduler.cpu_weight_multiplier),
      softAffinityWeigher(deps.conf.filter_scheduler.soft_affinity_weight_multiplier),
      softAntiAffinityWeigher(deps.conf.filter_scheduler.soft_anti_affinity_weight_multiplier),
    ];
    this.snapshots = deps.conf.scheduler.host_state_cache && offersSnapshots(deps.placement) ? deps.placement : null;
    this.cache = this.snapshots
      ? new HostStateCache({ db: deps.db, placement: this.snapshots, claims: this.claims, conf: deps.conf, logger: deps.logger, timing: deps.viewTiming })
      : null;
  }

  /** The RPC endpoint (topic `scheduler`), the API declared in rpc-methods.ts. */
  endpoint(): RpcEndpoint {
    return rpcEndpoint(SCHEDULER_RPC_API, this);
  }

  async selectDestinations(ctx: RequestContext, { specObj: spec, instanceUuids, returnAlternates }: RpcArgs<typeof SCHEDULER_RPC_API, 'select_destinations'>): Promise<Selection[][]> {
    const log = this.deps.logger.child({ request_id: ctx.requestId });
    const limit = this.deps.conf.scheduler.max_placement_results;
    // A forced host is the operator's word: it is looked up in placement as it is now.
    if (this.cache && spec.force_hosts.length === 0 && spec.force_nodes.length === 0) {
      const held = await this.cache.acquire();
      try {
        const source: HostSource = { pending: held.pending, claimTries: CACHED_CLAIM_TRIES, hosts: async (resources) => held.hosts(resources, limit) };
        // Quiet: what it logs would be said again by the decision on placement's answer.
        return await this.selectWithin(source, log.isLevelEnabled('warn') ? log.child({}, { level: 'warn' }) : log, spec, instanceUuids, returnAlternates);
      } catch (err) {
        if (!(err instanceof NoValidHost)) throw err;
        this.cache.invalidate();
        log.debug('no host on the scheduler\'s view of the hosts; asking placement');
      } finally {
        held.release();
      }
    }
    const view = this.claims.openView();
    try {
      return await this.selectWithin(this.fromPlacement(view, limit), log, spec, instanceUuids, returnAlternates);
    } finally {
      view.close();
    }
  }

  /** Candidates as placement gives them now, and their compute nodes as the database has them. */
  private fromPlacement(view: ClaimView, limit: number): HostSource {
    return {
      pending: () => view.unseen(), claimTries: Infinity,
      hosts: async (resources) => {
        const { allocationRequests, providerSummaries } = await this.deps.placement.getAllocationCandidates({ resources, limit });
        return this.hostStates(allocationRequests, providerSummaries);
      },
    };
  }

  private async selectWithin(source: HostSource, log: Logger, spec: RequestSpec, instanceUuids: string[], returnAlternates: boolean): Promise<Selection[][]> {
    const resources = resourcesForFlavor(spec.flavor);
    let hosts = await source.hosts(resources);
    if (hosts === null || hosts.length === 0) throw new NoValidHost();
    hosts = hosts.filter((h) => !spec.ignore_hosts.includes(h.host));
    if (spec.force_hosts.length > 0) hosts = hosts.filter((h) => spec.force_hosts.includes(h.host));
    if (spec.force_nodes.length > 0) hosts = hosts.filter((h) => spec.force_nodes.includes(h.nodename));
    // Nova's get_filtered_hosts: an administrator's forced host is taken as it is; the compute host still re-checks a group's hard policy.
    const filters = forcedHostSkipsFilters(spec) ? [] : this.filters;
    if (hosts.length === 0) {
      log.info({ force_hosts: spec.force_hosts, force_nodes: spec.force_nodes }, 'no host left after the ignored and forced hosts');
      throw new NoValidHost();
    }
    const fctx: FilterContext = { group: await this.groupOf(spec, instanceUuids), instanceHosts: await this.hintedInstanceHosts(spec) };
    for (const f of filters.filter((x) => !x.perInstance)) {
      const before = hosts.length;
      hosts = hosts.filter((h) => f.hostPasses(h, spec, fctx));
      if (hosts.length < before) log.debug({ filter: f.name, before, after: hosts.length }, 'filter removed hosts');
      if (hosts.length === 0) {
        log.info({ filter: f.name }, 'no host passed the filter');
        throw new NoValidHost();
      }
    }

    const claimed: string[] = [];
    const out: Selection[][] = [];
    try {
      const perInstance = filters.filter((x) => x.perInstance);
      for (const uuid of instanceUuids) {
        const candidates = hosts.filter((h) => perInstance.every((f) => f.hostPasses(h, spec, fctx)));
        if (candidates.length === 0) {
          log.info({ group: fctx.group?.uuid, policy: fctx.group?.policy }, 'no host satisfies the server group policy');
          throw new NoValidHost();
        }
        // Weighed as the hosts now are: less what this scheduler claimed since placement was read
        // (this request's earlier instances, and other requests' claims).
        const ranked = this.rank(consumeUnseen(candidates, source.pending()), fctx);
        let chosen: HostState | undefined;
        for (const h of ranked.slice(0, source.claimTries)) {
          if (await this.claim(uuid, h, spec, resources)) {
            chosen = h;
            break;
          }
          this.cache?.invalidate();
        }
        if (!chosen) throw new NoValidHost();
        claimed.push(uuid);
        // The next instance of this request sees this one as a member on its host (Nova appends to the group's hosts).
        if (fctx.group) fctx.group.hosts.set(chosen.host, (fctx.group.hosts.get(chosen.host) ?? 0) + 1);
        const alternates = returnAlternates
          ? ranked.filter((h) => h !== chosen).slice(0, this.deps.conf.scheduler.max_attempts - 1)
          : [];
        out.push([chosen, ...alternates].map((h) => this.selection(h)));
      }
    } catch (err) {
      // Nothing of a failed request stays claimed.
      await Promise.all(claimed.map((c) => this.deps.placement.deleteAllocations(c).catch(() => undefined)));
      for (const c of claimed) this.claims.forget(c);
      throw err;
    }
    return out;
  }

  /** Claims the host for the instance; the ledger counts it against the host meanwhile, and after where a view does not show it. */
  private async claim(uuid: string, h: HostState, spec: RequestSpec, resources: Resources): Promise<boolean> {
    const landed = this.claims.claiming(uuid, h.nodeUuid, resources);
    const req = { consumerUuid: uuid, allocations: allocationRequestOf(h).allocations, projectId: spec.project_id, userId: spec.user_id, consumerGeneration: null };
    let generations: Record<string, number> | null = null;
    let ok = false;
    try {
      if (this.snapshots) {
        generations = await this.snapshots.claimWithGenerations(req);
        ok = generations !== null;
      } else {
        ok = await this.deps.placement.claimResources(req);
      }
    } finally {
      landed(ok, generations?.[h.nodeUuid]);
    }
    return ok;
  }

  /** Where the servers named by the same_host / different_host hints run. */
  private hintedInstanceHosts(spec: RequestSpec): Promise<Map<string, string>> {
    return hostsOfInstances(this.deps.db, [...hintedUuids(spec, 'same_host'), ...hintedUuids(spec, 'different_host')]);
  }

  /** The group named by the `group` hint, with where its other members run. */
  private async groupOf(spec: RequestSpec, instanceUuids: string[]): Promise<FilterContext['group']> {
    const uuid = groupHint(spec);
    return uuid === null ? null : groupPlacement(this.deps.db, uuid, instanceUuids);
  }

  private rank(hosts: HostState[], fctx: FilterContext): HostState[] {
    const weighed = weighHosts(hosts, this.weighers, fctx);
    const subset = Math.min(this.deps.conf.filter_scheduler.host_subset_size, weighed.length);
    if (subset > 1) {
      const i = Math.floor(Math.random() * subset);
      const [pick] = weighed.splice(i, 1);
      weighed.unshift(pick);
    }
    return weighed;
  }

  private selection(h: HostState): Selection {
    return {
      service_host: h.host, nodename: h.nodename, compute_node_uuid: h.nodeUuid,
      allocation_request: JSON.stringify(allocationRequestOf(h)), allocation_request_version: '1.36',
      availability_zone: h.availabilityZone,
    };
  }

  private async hostStates(requests: Array<{ allocations: Record<string, { resources: Resources }> }>, summaries: Record<string, unknown>): Promise<HostState[]> {
    // Only single-provider candidates: a compute node is its own provider.
    const byRp = new Map<string, Resources>();
    for (const r of requests) {
      const rps = Object.keys(r.allocations);
      if (rps.length === 1) byRp.set(rps[0], r.allocations[rps[0]]!.resources);
    }
    if (byRp.size === 0) return [];
    const nodes = new Map((await readComputeNodes(this.deps.db, [...byRp.keys()])).map((n) => [n.uuid, n]));
    const zones = await hostZones(this.deps.db, [...new Set([...nodes.values()].map((n) => n.host))]);
    const now = Date.now();
    // In placement's order, which decides between hosts the weighers score equal (the rows come in the database's).
    const out: HostState[] = [];
    for (const [rp, resources] of byRp) {
      const n = nodes.get(rp);
      if (n) out.push(toHostState(this.deps.conf, n, lastSeenMs(n), zones.get(n.host), freeFromSummary(summaries[rp]), resources, now));
    }
    return out;
  }
}

/** The hosts as they are once the claims their placement view does not show are counted (copies; the weighers read them). */
function consumeUnseen(hosts: HostState[], unseen: Map<string, Resources>): HostState[] {
  if (unseen.size === 0) return hosts;
  return hosts.map((h) => {
    const u = unseen.get(h.nodeUuid);
    return u ? { ...h, freeRamMb: h.freeRamMb - (u.MEMORY_MB ?? 0), freeVcpus: h.freeVcpus - (u.VCPU ?? 0), freeDiskGb: h.freeDiskGb - (u.DISK_GB ?? 0) } : h;
  });
}
