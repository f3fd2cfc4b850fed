import type { HostFilter } from './filter.js';

/** Only hosts in the requested availability zone, when one was requested. */
export const availabilityZoneFilter: HostFilter = {
  name: 'AvailabilityZoneFilter',
  hostPasses: (host, spec) => !spec.availability_zone || host.availabilityZone === spec.availability_zone,
};
