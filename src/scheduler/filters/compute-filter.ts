import type { HostFilter } from './filter.js';

/** Only hosts whose compute service is enabled and up. */
export const computeFilter: HostFilter = {
  name: 'ComputeFilter',
  hostPasses: (host) => !host.serviceDisabled && host.serviceUp,
};
