import type { HostFilter } from './filter.js';

/**
 * Flavor extra specs scoped `capabilities:` must match the host. Kilonova's
 * hosts expose hypervisor_type; anything else asked for cannot be satisfied.
 */
export const computeCapabilitiesFilter: HostFilter = {
  name: 'ComputeCapabilitiesFilter',
  hostPasses: (_host, spec) => {
    for (const key of Object.keys(spec.flavor.extra_specs ?? {})) {
      if (key.startsWith('capabilities:') && key !== 'capabilities:hypervisor_type') return false;
    }
    return true;
  },
};
