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
import { freeFromSummary, type HostState } from './host-state.js';
import { ClaimLedger, type ClaimView } from './claim-ledger.js';
import { rpcEndpoint, type RpcArgs, type RpcHandlers } from '../rpc/rpc-api.js';
import { SCHEDULER_RPC_API } from './rpc-methods.js';

export class NoValidHost extends Error {
  constructor(reason = 'There are not enough hosts available.') {
    super(`No valid host was found. ${reason}`);
    this.name = 'NoValidHost';
  }
}

export interface SchedulerDeps {
  db: ComputeDb;
  placement: PlacementClient;
  conf: Config;
  logger: Logger;
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

  constructor(private readonly deps: SchedulerDeps) {
    this.filters = enabledFilters(deps.conf.filter_scheduler.enabled_filters);
    this.weighers = [
      ramWeigher(deps.conf.filter_scheduler.ram_weight_multiplier),
      cpuWeigher(deps.conf.filter_scheduler.cpu_weight_multiplier),
      softAffinityWeigher(deps.conf.filter_scheduler.soft_affinity_weight_multiplier),
      softAntiAffinityWeigher(deps.conf.filter_scheduler.soft_anti_affinity_weight_multiplier),
    ];
  }

  /** The RPC endpoint (topic `scheduler`), the API declared in rpc-methods.ts. */
  endpoint(): RpcEndpoint {
    return rpcEndpoint(SCHEDULER_RPC_API, this);
  }

  async selectDestinations(ctx: RequestContext, { specObj: spec, instanceUuids, returnAlternates }: RpcArgs<typeof SCHEDULER_RPC_API, 'select_destinations'>): Promise<Selection[][]> {
    const view = this.claims.openView();
    try {
      return await this.selectWithin(view, ctx, spec, instanceUuids, returnAlternates);
    } finally {
      view.close();
    }
  }

  private async selectWithin(view: ClaimView, ctx: RequestContext, spec: RequestSpec, instanceUuids: string[], returnAlternates: boolean): Promise<Selection[][]> {
    const log = this.deps.logger.child({ request_id: ctx.requestId });
    const resources = resourcesForFlavor(spec.flavor);
    const { allocationRequests, providerSummaries } = await this.deps.placement.getAllocationCandidates({
      resources, limit: this.deps.conf.scheduler.max_placement_results,
    });
    if (allocationRequests.length === 0) throw new NoValidHost();

    let hosts = await this.hostStates(allocationRequests, providerSummaries);
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
        const ranked = this.rank(consumeUnseen(candidates, view.unseen()), fctx);
        let chosen: HostState | undefined;
        for (const h of ranked) {
          const landed = this.claims.claiming(uuid, h.nodeUuid, resources);
          let ok = false;
          try {
            ok = await this.deps.placement.claimResources({
              consumerUuid: uuid, allocations: h.allocationRequest.allocations,
              projectId: spec.project_id, userId: spec.user_id, consumerGeneration: null,
            });
          } finally {
            landed(ok);
          }
          if (ok) {
            chosen = h;
            break;
          }
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
      allocation_request: JSON.stringify(h.allocationRequest), allocation_request_version: '1.36',
      availability_zone: h.availabilityZone,
    };
  }

  private async hostStates(requests: Array<{ allocations: Record<string, { resources: Resources }> }>, summaries: Record<string, unknown>): Promise<HostState[]> {
    const byRp = new Map<string, (typeof requests)[number]>();
    for (const r of requests) {
      const rps = Object.keys(r.allocations);
      if (rps.length === 1) byRp.set(rps[0], r);
    }
    if (byRp.size === 0) return [];
    const nodes = await this.deps.db.selectFrom('compute_nodes')
      .innerJoin('services', (j) => j.onRef('services.host', '=', 'compute_nodes.host').on('services.binary', '=', 'nova-compute').on('services.deleted', '=', 0))
      .select(['compute_nodes.uuid', 'compute_nodes.host', 'compute_nodes.hypervisor_hostname', 'services.disabled', 'services.forced_down', 'services.last_seen_up'])
      .where('compute_nodes.deleted', '=', 0)
      .where('compute_nodes.uuid', 'in', [...byRp.keys()])
      .execute();
    const downAfterMs = this.deps.conf.DEFAULT.service_down_time * 1000;
    const now = Date.now();
    const zones = await hostZones(this.deps.db, [...new Set(nodes.map((n) => n.host))]);
    return nodes.map((n) => {
      const summary = summaries[n.uuid];
      return {
        nodeUuid: n.uuid, host: n.host, nodename: n.hypervisor_hostname,
        availabilityZone: zones.get(n.host) ?? this.deps.conf.DEFAULT.default_availability_zone,
        serviceDisabled: n.disabled === 1,
        serviceUp: n.forced_down === 0 && !!n.last_seen_up && now - Date.parse(n.last_seen_up) <= downAfterMs,
        freeRamMb: freeFromSummary(summary, 'MEMORY_MB'),
        freeVcpus: freeFromSummary(summary, 'VCPU'),
        freeDiskGb: freeFromSummary(summary, 'DISK_GB'),
        allocationRequest: byRp.get(n.uuid)!,
      };
    });
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
