/**
 * Placement's providers as this scheduler last read each of them, brought
 * up to placement's present before each decision made on them.
 *
 * A kept view must never count what placement no longer holds (what a failed
 * build, a delete or a move released, in any process) and must count what
 * this scheduler claimed. Each state carries the generation it was read at,
 * and each claim of this scheduler the generation it left its provider at,
 * so the claims a state does not show are known exactly
 * (ClaimLedger.pendingBeyond), and so is the stamp placement must show if
 * nobody else wrote since: one row tells. When it differs, every provider's
 * generation says which moved, and only those are read again.
 */
import { inventoryState, type ProviderState, type ProvidersStamp } from '../placement/snapshot.js';
import type { PlacementClient, Resources } from '../compute/clients.js';
import type { ClaimLedger, GenerationOf } from './claim-ledger.js';

type ClaimRequest = Parameters<PlacementClient['claimResources']>[0];

/** What placement must offer for the scheduler to keep a view of its own (PlacementService does, in-process). */
export interface PlacementSnapshots {
  /** Every provider's state, or those of `uuids`. */
  inventorySnapshot(uuids?: readonly string[]): Promise<ProviderState[]>;
  providersStamp(): Promise<ProvidersStamp>;
  stampOf(states: readonly ProviderState[]): ProvidersStamp;
  providerGenerations(): Promise<Map<string, number>>;
  /** The claim, telling the generation it left each provider at; null when refused. */
  claimWithGenerations(req: ClaimRequest): Promise<Record<string, number> | null>;
  /** The providers getAllocationCandidates would offer on `providers`; null when it cannot tell. */
  fittingFromSnapshot(providers: readonly ProviderState[], query: { resources: Resources; limit?: number }, pending?: ReadonlyMap<string, Resources>): readonly ProviderState[] | null;
}

export function offersSnapshots(p: PlacementClient): p is PlacementClient & PlacementSnapshots {
  const s = p as Partial<PlacementSnapshots>;
  return ['inventorySnapshot', 'providersStamp', 'stampOf', 'providerGenerations', 'claimWithGenerations', 'fittingFromSnapshot']
    .every((m) => typeof s[m as keyof PlacementSnapshots] === 'function');
}

/** One version of the states, never changed: a decision keeps the one it started with. */
export interface StatesVersion {
  /** In provider id order, the order placement gives candidates in. */
  readonly list: readonly ProviderState[];
  readonly generationOf: GenerationOf;
  readonly stateOf: (uuid: string) => ProviderState | undefined;
}

function version(list: readonly ProviderState[]): StatesVersion {
  const byUuid = new Map(list.map((p) => [p.uuid, p]));
  return { list, generationOf: (uuid) => byUuid.get(uuid)?.generation, stateOf: (uuid) => byUuid.get(uuid) };
}

export class ProviderStates {
  private now: StatesVersion;

  constructor(list: readonly ProviderState[], private readonly deps: { placement: PlacementSnapshots; claims: ClaimLedger }) {
    this.now = version(list);
  }

  current(): StatesVersion {
    return this.now;
  }

  /**
   * The states with this scheduler's landed claims counted in, as placement
   * has them now if nobody else wrote since; null when some provider's claims
   * do not follow on from its state one generation each (another write came
   * between them, which only reading placement again shows).
   */
  foldedWith(claims: ClaimLedger): ProviderState[] | null {
    const base = this.now;
    const landed = claims.landedClaimsBeyond(base.generationOf);
    if (landed === null) return null;
    const folded = new Map<string, ProviderState>();
    for (const [uuid, list] of landed) {
      const state = base.stateOf(uuid)!;
      const inventories = { ...state.inventories };
      let generation = state.generation;
      for (const claim of list.sort((a, b) => a.generation - b.generation)) {
        if (claim.generation !== generation + 1) return null;
        generation = claim.generation;
        for (const [rc, amount] of Object.entries(claim.resources)) {
          const inv = inventories[rc];
          if (!inv) return null;
          inventories[rc] = inventoryState({ ...inv, used: inv.used + amount });
        }
      }
      folded.set(uuid, {
        id: state.id, uuid, generation, parentProviderUuid: state.parentProviderUuid, rootProviderUuid: state.rootProviderUuid, inventories,
      });
    }
    return base.list.map((p) => folded.get(p.uuid) ?? p);
  }

  /** Reads again the states placement has moved past by other means than this scheduler's landed claims. */
  async catchUp(): Promise<void> {
    const { placement, claims } = this.deps;
    // Worked out before asking: every claim counted has landed, so placement's answer shows it.
    let base = this.now;
    const expected = placement.stampOf(base.list);
    for (const n of claims.landedBeyond(base.generationOf).values()) expected.generations += n;
    const stamp = await placement.providersStamp();
    if (stamp.count === expected.count && stamp.ids === expected.ids && stamp.generations === expected.generations) return;

    base = this.now;
    const beyond = claims.landedBeyond(base.generationOf);
    const generations = await placement.providerGenerations();
    const moved: string[] = [];
    const gone = new Set<string>();
    for (const p of base.list) {
      const now = generations.get(p.uuid);
      if (now === undefined) gone.add(p.uuid);
      else if (now !== p.generation + (beyond.get(p.uuid) ?? 0)) moved.push(p.uuid);
    }
    for (const uuid of generations.keys()) if (base.generationOf(uuid) === undefined) moved.push(uuid);
    const fresh = await placement.inventorySnapshot(moved);
    this.now = merged(this.now, fresh, gone);
  }
}

/** `from` with each fresh state in place of an older one of its provider, and the providers gone left out. */
function merged(from: StatesVersion, fresh: readonly ProviderState[], gone: ReadonlySet<string>): StatesVersion {
  if (fresh.length === 0 && gone.size === 0) return from;
  const byUuid = new Map(from.list.filter((p) => !gone.has(p.uuid)).map((p) => [p.uuid, p]));
  let added = false;
  for (const f of fresh) {
    const known = byUuid.get(f.uuid);
    // Another decision may have read it again since, and later.
    if (known && known.generation >= f.generation) continue;
    added ||= !known;
    byUuid.set(f.uuid, f);
  }
  const list = [...byUuid.values()];
  if (added) list.sort((a, b) => a.id - b.id);
  return version(list);
}
