import type { HostFilter } from './filter.js';
import { computeFilter } from './compute-filter.js';
import { availabilityZoneFilter } from './availability-zone-filter.js';
import { computeCapabilitiesFilter } from './compute-capabilities-filter.js';
import { serverGroupAffinityFilter, serverGroupAntiAffinityFilter } from './server-group-filters.js';
import { differentHostFilter, sameHostFilter } from './host-hint-filters.js';

export const AVAILABLE_FILTERS: Record<string, HostFilter> = Object.fromEntries(
  [computeFilter, availabilityZoneFilter, computeCapabilitiesFilter, serverGroupAffinityFilter, serverGroupAntiAffinityFilter, sameHostFilter, differentHostFilter].map((f) => [f.name, f]),
);

export class UnknownFilter extends Error {}

export function enabledFilters(names: readonly string[]): HostFilter[] {
  return names.map((n) => {
    const f = AVAILABLE_FILTERS[n];
    if (!f) throw new UnknownFilter(`[filter_scheduler] enabled_filters: unknown filter "${n}" (known: ${Object.keys(AVAILABLE_FILTERS).join(', ')})`);
    return f;
  });
}

export type { HostFilter, FilterContext } from './filter.js';
