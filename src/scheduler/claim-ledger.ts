/**
 * What this scheduler has claimed that a placement view read by another
 * request may not show yet: the part of Nova's HostState.consume_from_request
 * that lets concurrent requests in one scheduler see each other's choices.
 *
 * Requests are handled concurrently; each reads allocation candidates, then
 * weighs. Without this, every request that read placement before the others'
 * claims landed sees the same "emptiest" host, and a burst of boots piles
 * onto it. A claim counts against its host while it is being made, and once
 * made, for every view that does not show it: a view of placement's answer
 * opened before it landed, or a provider state read at a generation older
 * than the one the claim gave its provider. It only steers the weighers:
 * placement's claim, with its provider generations, still decides whether a
 * host has room.
 */
import type { Resources } from '../compute/clients.js';

interface Claim {
  consumer: string;
  provider: string;
  resources: Resources;
  /** Order in which claims landed; 0 while the claim is being made. */
  landedAt: number;
  /** The provider's generation the claim's write left it at, when placement told. */
  generation?: number;
}

export interface ClaimView {
  /** Resources per provider that the placement read of this view may not count. */
  unseen(): Map<string, Resources>;
  close(): void;
}

/** The generation a provider's state was read at (undefined: no state of it). */
export type GenerationOf = (provider: string) => number | undefined;

export class ClaimLedger {
  private landings = 0;
  private claims: Claim[] = [];
  /** The landing count each open view was opened at. */
  private readonly views = new Set<{ openedAt: number }>();

  /** Open before reading placement; close when the request is done. Landed claims stay kept while a view opened before them is open. */
  openView(): ClaimView {
    const view = { openedAt: this.landings };
    this.views.add(view);
    return {
      unseen: () => {
        const out = new Map<string, Resources>();
        for (const c of this.claims) {
          if (c.landedAt !== 0 && c.landedAt <= view.openedAt) continue;
          addTo(out, c);
        }
        return out;
      },
      close: () => {
        this.views.delete(view);
        this.prune();
      },
    };
  }

  /**
   * Resources per provider that states read at `generationOf` do not show:
   * claims being made, and landed ones that moved their provider past the
   * state's generation (or whose generation placement did not tell).
   */
  pendingBeyond(generationOf: GenerationOf): Map<string, Resources> {
    const out = new Map<string, Resources>();
    for (const c of this.claims) {
      if (c.landedAt !== 0 && c.generation !== undefined && c.generation <= (generationOf(c.provider) ?? Infinity)) continue;
      addTo(out, c);
    }
    return out;
  }

  /**
   * Per provider, the generations this scheduler's landed claims added past
   * the state's: what placement's generations must show beyond the states
   * when nobody else changed anything. A claim whose generation is unknown
   * adds none, so such a claim can only make placement look changed.
   */
  landedBeyond(generationOf: GenerationOf): Map<string, number> {
    const out = new Map<string, number>();
    for (const c of this.claims) {
      if (c.landedAt === 0 || c.generation === undefined) continue;
      const read = generationOf(c.provider);
      if (read !== undefined && c.generation > read) out.set(c.provider, (out.get(c.provider) ?? 0) + 1);
    }
    return out;
  }

  /**
   * Per provider, the landed claims that moved it past the state's generation,
   * each with the generation it left the provider at; null when placement did
   * not tell some claim's generation (nothing can be said of its provider then).
   */
  landedClaimsBeyond(generationOf: GenerationOf): Map<string, Array<{ generation: number; resources: Resources }>> | null {
    const out = new Map<string, Array<{ generation: number; resources: Resources }>>();
    for (const c of this.claims) {
      if (c.landedAt === 0) continue;
      if (c.generation === undefined) return null;
      const read = generationOf(c.provider);
      if (read === undefined || c.generation <= read) continue;
      const list = out.get(c.provider) ?? [];
      list.push({ generation: c.generation, resources: c.resources });
      out.set(c.provider, list);
    }
    return out;
  }

  /**
   * A claim about to be made (before its request to placement): returns what
   * to call once placement answered, with the provider's generation after the
   * write when placement gives it.
   */
  claiming(consumer: string, provider: string, resources: Resources): (made: boolean, generation?: number) => void {
    const claim: Claim = { consumer, provider, resources, landedAt: 0 };
    this.claims.push(claim);
    return (made, generation) => {
      if (made) {
        claim.landedAt = ++this.landings;
        claim.generation = generation;
      } else this.claims = this.claims.filter((c) => c !== claim);
    };
  }

  /** The consumer's claims were undone (its request failed): they no longer weigh on their hosts. */
  forget(consumer: string): void {
    this.claims = this.claims.filter((c) => c.consumer !== consumer);
  }

  /** Claims in flight, for tests. */
  get size(): number {
    return this.claims.length;
  }

  /** A landed claim every open view was opened after is in what they read: drop it. */
  private prune(): void {
    let oldest = this.landings;
    for (const v of this.views) oldest = Math.min(oldest, v.openedAt);
    this.claims = this.claims.filter((c) => c.landedAt === 0 || c.landedAt > oldest);
  }
}

function addTo(out: Map<string, Resources>, c: Claim): void {
  const sum = out.get(c.provider) ?? {};
  for (const [rc, n] of Object.entries(c.resources)) sum[rc] = (sum[rc] ?? 0) + n;
  out.set(c.provider, sum);
}
