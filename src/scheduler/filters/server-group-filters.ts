/**
 * Nova's ServerGroupAffinityFilter and ServerGroupAntiAffinityFilter: the
 * hard policies of the group a server is created in. Soft policies are
 * preferences, left to the weighers.
 */
import { affinityAllows, antiAffinityAllows } from '../../compute/group-policy.js';
import type { HostFilter } from './filter.js';

export const serverGroupAffinityFilter: HostFilter = {
  name: 'ServerGroupAffinityFilter',
  perInstance: true,
  hostPasses: (host, _spec, { group }) => !group || affinityAllows(group, host.host),
};

export const serverGroupAntiAffinityFilter: HostFilter = {
  name: 'ServerGroupAntiAffinityFilter',
  perInstance: true,
  hostPasses: (host, _spec, { group }) => !group || antiAffinityAllows(group, host.host),
};
