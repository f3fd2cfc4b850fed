/**
 * Weighers (Nova's RAMWeigher, CPUWeigher): each scores hosts, normalised to
 * 0..1 across the candidates, times its multiplier; higher wins. Positive
 * multipliers spread servers across hosts, negative ones stack them.
 */
import type { HostState } from '../host-state.js';
import type { FilterContext } from '../filters/filter.js';

export interface Weigher {
  readonly name: string;
  readonly multiplier: number;
  raw(host: HostState, ctx: FilterContext): number;
}

export function ramWeigher(multiplier: number): Weigher {
  return { name: 'RAMWeigher', multiplier, raw: (h) => h.freeRamMb };
}

export function cpuWeigher(multiplier: number): Weigher {
  return { name: 'CPUWeigher', multiplier, raw: (h) => h.freeVcpus };
}

/** Nova's ServerGroupSoftAffinityWeigher: the more members of a soft-affinity group a host runs, the better. */
export function softAffinityWeigher(multiplier: number): Weigher {
  return {
    name: 'ServerGroupSoftAffinityWeigher', multiplier,
    raw: (h, { group }) => (group?.policy === 'soft-affinity' ? group.hosts.get(h.host) ?? 0 : 0),
  };
}

/** Nova's ServerGroupSoftAntiAffinityWeigher: the fewer members of a soft-anti-affinity group a host runs, the better. */
export function softAntiAffinityWeigher(multiplier: number): Weigher {
  return {
    name: 'ServerGroupSoftAntiAffinityWeigher', multiplier,
    raw: (h, { group }) => (group?.policy === 'soft-anti-affinity' ? -(group.hosts.get(h.host) ?? 0) : 0),
  };
}

export function weighHosts(hosts: HostState[], weighers: Weigher[], ctx: FilterContext = { group: null }): HostState[] {
  // Scores by position: with a thousand hosts, a map lookup per comparison was most of the cost.
  const scores = new Float64Array(hosts.length);
  for (const w of weighers) {
    if (w.multiplier === 0) continue;
    const raws = hosts.map((h) => w.raw(h, ctx));
    let min = Infinity;
    let max = -Infinity;
    for (const r of raws) {
      if (r < min) min = r;
      if (r > max) max = r;
    }
    if (max === min) continue;
    for (let i = 0; i < hosts.length; i++) scores[i] += w.multiplier * ((raws[i] - min) / (max - min));
  }
  const order = Array.from(hosts.keys());
  // Array.prototype.sort is stable: equal scores keep placement's order.
  order.sort((a, b) => scores[b] - scores[a]);
  return order.map((i) => hosts[i]);
}
