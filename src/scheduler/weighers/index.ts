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
  const scores = new Map<HostState, number>(hosts.map((h) => [h, 0]));
  for (const w of weighers) {
    if (w.multiplier === 0) continue;
    const raws = hosts.map((h) => w.raw(h, ctx));
    const min = Math.min(...raws);
    const max = Math.max(...raws);
    hosts.forEach((h, i) => {
      const normalised = max === min ? 0 : (raws[i] - min) / (max - min);
      scores.set(h, (scores.get(h) ?? 0) + w.multiplier * normalised);
    });
  }
  return [...hosts].sort((a, b) => (scores.get(b) ?? 0) - (scores.get(a) ?? 0));
}
