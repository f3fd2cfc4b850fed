/**
 * Nova's ServerGroupAffinityFilter and ServerGroupAntiAffinityFilter: the
 * hard policies of the group a server is created in. Soft policies are
 * preferences, left to the weighers.
 */
import type { HostFilter } from './filter.js';

/** Affinity: once a member runs somewhere, every other member goes to one of those hosts. */
export const serverGroupAffinityFilter: HostFilter = {
  name: 'ServerGroupAffinityFilter',
  perInstance: true,
  hostPasses: (host, _spec, { group }) => {
    if (!group || group.policy !== 'affinity' || group.hosts.size === 0) return true;
    return group.hosts.has(host.host);
  },
};

/** Anti-affinity: at most max_server_per_host members (1 by default) on any host. */
export const serverGroupAntiAffinityFilter: HostFilter = {
  name: 'ServerGroupAntiAffinityFilter',
  perInstance: true,
  hostPasses: (host, _spec, { group }) => {
    if (!group || group.policy !== 'anti-affinity') return true;
    const max = group.rules.max_server_per_host ?? 1;
    return (group.hosts.get(host.host) ?? 0) + 1 <= max;
  },
};
