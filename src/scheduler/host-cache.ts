/**
 * The scheduler's own view of every host (Nova's HostManager keeps one):
 * each provider's inventory and usage and each compute node's service, read
 * in one go and kept, so that a decision does not read a thousand providers
 * from placement and a thousand nodes from the database.
 *
 * What keeps it honest:
 * - before each decision the providers' states are brought up to placement's
 *   present (ProviderStates.catchUp): one row tells whether anything but this
 *   scheduler's own claims wrote to a provider since its state was read (an
 *   allocation released by a failed build, a delete or a move, another
 *   scheduler's claim), and the providers that moved are read again, so
 *   nothing placement no longer holds is counted;
 * - claims this scheduler made that a state does not show count against
 *   their hosts (ClaimLedger.pendingBeyond, by the generations each claim and
 *   each state carry);
 * - this scheduler's own claims are folded into the states it holds once
 *   every FOLD_MS, when they are all their providers saw since their states
 *   were read (FOLD_MS bounds how many the ledger keeps); otherwise, and in
 *   any case once older than REFRESH_MS, the view is read again in whole in
 *   the background; before the decision once older than MAX_AGE_MS, or as
 *   soon as a compute node or service comes or goes;
 * - what an operator changes takes effect at once: disabled and forced-down
 *   services and availability zones are read for every decision (a few rows);
 * - it only steers: the claim, checked against placement's current usage
 *   under provider generations, decides whether a host has room, and a
 *   decision that finds no host here is made again on placement's answer.
 */
import type { Logger } from 'pino';
import { sql } from 'kysely';
import type { Config } from '../conf/options.js';
import type { ComputeDb } from '../compute/db/tables.js';
import type { Resources } from '../compute/clients.js';
import { AZ_KEY, zonesByHost } from '../compute/aggregate-store.js';
import type { ClaimLedger, ClaimView } from './claim-ledger.js';
import { ProviderStates, type PlacementSnapshots } from './provider-states.js';
import { lastSeenMs, readComputeNodes, toHostState, type ComputeNodeRow, type FreeResources, type HostState } from './host-state.js';
import type { ProviderState } from '../placement/snapshot.js';

/** How often this scheduler's own landed claims are folded into the states. */
export const FOLD_MS = 1000;
/**
 * Age after which a decision starts reading the view again, without waiting
 * for it. The stamps keep the providers exact and the probe the services, so
 * this only bounds what a fault in that bookkeeping could leave behind: a read
 * of every provider and node costs a busy scheduler's decisions around it
 * several milliseconds each.
 */
export const REFRESH_MS = 60_000;
/** Age after which a decision waits for a fresh read. */
export const MAX_AGE_MS = 300_000;

/** When the view folds and is read again (tests shorten them). */
export interface ViewTiming {
  foldMs: number;
  refreshMs: number;
  maxAgeMs: number;
}

const NOT_FLAGGED = { disabled: 0, forced_down: 0 };

interface Snapshot {
  readAt: number;
  /** When its states were last read or had this scheduler's claims folded in. */
  foldedAt: number;
  /** Opened before the read: keeps in the ledger every claim that landed since, which the read may not show. */
  view: ClaimView;
  /** Decisions using it; its view closes once it is replaced and none is. */
  users: number;
  replaced: boolean;
  providers: ProviderStates;
  nodes: Map<string, { node: ComputeNodeRow; seenMs: number | null }>;
  /** Which compute nodes and services exist, to notice one coming or going. */
  membership: string;
}

/** What every decision reads: the few rows an operator's change touches. */
interface Probe {
  membership: string;
  /** Hosts whose service is disabled or forced down. */
  flagged: Map<string, { disabled: number; forced_down: number }>;
  /** Hosts whose service has not reported within service_down_time, as of this decision. */
  silent: Set<string>;
  zones: Map<string, string>;
}

/** A decision's hold on the view; release() when the decision is done. */
export interface HeldView {
  /** Resources per provider of this scheduler's claims that the view's states do not show. */
  pending(): Map<string, Resources>;
  /** Host states of the candidates for `resources` (what placement would offer on this view). */
  hosts(resources: Resources, limit: number): HostState[] | null;
  release(): void;
}

/**
 * What placement's summary would say the provider has free as its state was
 * read: of the requested classes only, as a summary covers only those.
 */
function freeAsRead(p: ProviderState, resources: Resources): FreeResources {
  return { ramMb: freeOf(p, resources, 'MEMORY_MB'), vcpus: freeOf(p, resources, 'VCPU'), diskGb: freeOf(p, resources, 'DISK_GB') };
}

function freeOf(p: ProviderState, resources: Resources, rc: string): number {
  const inv = rc in resources ? p.inventories[rc] : undefined;
  return inv ? inv.capacity - inv.used : 0;
}

export class HostStateCache {
  private snap: Snapshot | null = null;
  private reading: Promise<Snapshot> | null = null;

  private readonly timing: ViewTiming;

  constructor(private readonly deps: { db: ComputeDb; placement: PlacementSnapshots; claims: ClaimLedger; conf: Config; logger: Logger; timing?: Partial<ViewTiming> }) {
    this.timing = { foldMs: FOLD_MS, refreshMs: REFRESH_MS, maxAgeMs: MAX_AGE_MS, ...deps.timing };
  }

  async acquire(): Promise<HeldView> {
    let snap = this.snap;
    // Held while it is brought up to date: the ledger keeps the claims it does not show.
    if (snap) snap.users++;
    try {
      const [probe] = await Promise.all([this.probe(), snap?.providers.catchUp()]);
      const age = snap ? Date.now() - snap.readAt : Infinity;
      if (!snap || snap.membership !== probe.membership || age > this.timing.maxAgeMs) {
        const fresh = await this.read();
        fresh.users++;
        if (snap) this.unhold(snap);
        snap = fresh;
        // The read joined may have been under way before this decision began.
        await snap.providers.catchUp();
      } else if (age > this.timing.refreshMs) {
        this.readInBackground();
      } else if (snap === this.snap && this.reading === null && Date.now() - snap.foldedAt >= this.timing.foldMs) {
        const folded = this.fold(snap);
        if (folded) {
          folded.users++;
          this.unhold(snap);
          snap = folded;
        } else this.readInBackground();
      }
      return this.held(snap, probe);
    } catch (err) {
      if (snap) this.unhold(snap);
      throw err;
    }
  }

  private held(snap: Snapshot, probe: Probe): HeldView {
    const states = snap.providers.current();
    const pending = () => this.deps.claims.pendingBeyond(states.generationOf);
    const now = Date.now();
    return {
      pending,
      hosts: (resources, limit) => {
        const fitting = this.deps.placement.fittingFromSnapshot(states.list, { resources, limit }, pending());
        if (!fitting) return null;
        const out: HostState[] = [];
        for (const p of fitting) {
          const known = snap.nodes.get(p.uuid);
          if (!known) continue;
          const { node, seenMs } = known;
          // The service's flags as read for this decision, not as the view has them.
          const flags = probe.flagged.get(node.host) ?? NOT_FLAGGED;
          const current = node.disabled === flags.disabled && node.forced_down === flags.forced_down ? node : { ...node, ...flags };
          // Up or down as of now: the view's last-seen times age with it, the probe's do not.
          const seen = probe.silent.has(node.host) ? seenMs : now;
          out.push(toHostState(this.deps.conf, current, seen, probe.zones.get(node.host), freeAsRead(p, resources), resources, now));
        }
        return out;
      },
      release: () => this.unhold(snap),
    };
  }

  private unhold(snap: Snapshot): void {
    snap.users--;
    this.closeIfUnused(snap);
  }

  /** The view looks wrong (a claim it offered was refused): read it again before long. */
  invalidate(): void {
    if (this.snap) this.snap.readAt = 0;
  }

  private readInBackground(): void {
    this.read().catch((err) => this.deps.logger.warn({ err }, 'reading the host states again failed; keeping the older ones'));
  }

  /**
   * The view with this scheduler's landed claims folded into its states, in
   * place of `snap`; null when they cannot be (ProviderStates.foldedWith).
   */
  private fold(snap: Snapshot): Snapshot | null {
    // Opened before folding: claims still being made are kept in the ledger; every landed one is in the states.
    const view = this.deps.claims.openView();
    const list = snap.providers.foldedWith(this.deps.claims);
    if (!list) {
      view.close();
      return null;
    }
    const next: Snapshot = { ...snap, foldedAt: Date.now(), view, users: 0, replaced: false, providers: new ProviderStates(list, this.deps) };
    this.replace(next);
    return next;
  }

  private replace(next: Snapshot): void {
    const old = this.snap;
    this.snap = next;
    if (old) {
      old.replaced = true;
      this.closeIfUnused(old);
    }
  }

  /** One read at a time; a decision that needs one joins the read under way. */
  private read(): Promise<Snapshot> {
    this.reading ??= this.readNow().finally(() => { this.reading = null; });
    return this.reading;
  }

  private async readNow(): Promise<Snapshot> {
    // Opened before reading, so every claim that lands after this point counts against its host.
    const view = this.deps.claims.openView();
    try {
      const readAt = Date.now();
      const [providers, nodes, { membership }] = await Promise.all([
        this.deps.placement.inventorySnapshot(), readComputeNodes(this.deps.db), this.probe(),
      ]);
      const next: Snapshot = {
        readAt, foldedAt: readAt, view, users: 0, replaced: false, providers: new ProviderStates(providers, this.deps),
        nodes: new Map(nodes.map((n) => [n.uuid, { node: n, seenMs: lastSeenMs(n) }])), membership,
      };
      this.replace(next);
      return next;
    } catch (err) {
      view.close();
      throw err;
    }
  }

  private closeIfUnused(s: Snapshot): void {
    if (s.replaced && s.users === 0) s.view.close();
  }

  /**
   * In one statement: which compute nodes and services exist (a count and the
   * highest id of each changes when one is created or deleted), the services
   * disabled or forced down, those silent for longer than service_down_time
   * (normally none, so the answer stays a few rows), and each host's zones.
   */
  private async probe(): Promise<Probe> {
    // ISO-8601 UTC text on both dialects: compared as text, as the column holds it.
    const silentBefore = new Date(Date.now() - this.deps.conf.DEFAULT.service_down_time * 1000).toISOString();
    const { rows } = await sql<{ kind: string; host: string | null; a: number | string; b: number | string; zone: string | null }>`
      select 'nodes' as kind, null as host, count(*) as a, coalesce(max(id), 0) as b, null as zone from compute_nodes where deleted = 0
      union all
      select 'services', null, count(*), coalesce(max(id), 0), null from services where ${sql.ref('binary')} = 'nova-compute' and deleted = 0
      union all
      select 'flagged', host, disabled, forced_down, null from services
        where ${sql.ref('binary')} = 'nova-compute' and deleted = 0 and (disabled <> 0 or forced_down <> 0)
      union all
      select 'silent', host, 0, 0, null from services
        where ${sql.ref('binary')} = 'nova-compute' and deleted = 0 and (last_seen_up is null or last_seen_up < ${silentBefore})
      union all
      select 'zone', h.host, 0, 0, m.value from aggregate_metadata m join aggregate_hosts h on h.aggregate_id = m.aggregate_id
        where m.${sql.ref('key')} = ${AZ_KEY}`
      .execute(this.deps.db);
    const flagged = new Map<string, { disabled: number; forced_down: number }>();
    const silent = new Set<string>();
    const zoneRows: Array<{ host: string; value: string }> = [];
    const counts: string[] = [];
    for (const r of rows) {
      if (r.kind === 'flagged') flagged.set(r.host!, { disabled: Number(r.a), forced_down: Number(r.b) });
      else if (r.kind === 'silent') silent.add(r.host!);
      else if (r.kind === 'zone') zoneRows.push({ host: r.host!, value: r.zone! });
      else counts.push(`${r.kind}:${r.a}/${r.b}`);
    }
    return { membership: counts.sort().join(';'), flagged, silent, zones: zonesByHost(zoneRows) };
  }
}
