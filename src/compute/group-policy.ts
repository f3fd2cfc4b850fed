/**
 * The hard policies of a server group, as one rule for the scheduler's
 * filters (choosing a host) and for the compute host (re-checking before it
 * spawns — Nova's ComputeManager._validate_instance_group_policy). Kept free
 * of database code: a compute host loads it.
 */

/** A group with where its other members run (host → how many). */
export interface GroupMemberHosts {
  policy: string;
  rules: { max_server_per_host?: number };
  hosts: ReadonlyMap<string, number>;
}

/** Affinity: once a member runs somewhere, every other member goes to one of those hosts. */
export function affinityAllows(group: GroupMemberHosts, host: string): boolean {
  return group.policy !== 'affinity' || group.hosts.size === 0 || group.hosts.has(host);
}

/** Anti-affinity: at most max_server_per_host members (1 by default, rules from microversion 2.64) on any host. */
export function antiAffinityAllows(group: GroupMemberHosts, host: string): boolean {
  if (group.policy !== 'anti-affinity') return true;
  return (group.hosts.get(host) ?? 0) < (group.rules.max_server_per_host ?? 1);
}

/** A build that would break its group's hard policy on this host; the build is rescheduled. */
export class GroupAffinityViolation extends Error {
  constructor(policy: 'Affinity' | 'Anti-affinity') {
    super(`${policy} instance group policy was violated.`);
    this.name = 'GroupAffinityViolation';
  }
}

/**
 * The violation of running one more member on `host`, or null. Only the hard
 * policies: the soft ones are the weighers' preferences, never a reason to
 * refuse a host.
 */
export function groupPolicyViolation(group: GroupMemberHosts, host: string): GroupAffinityViolation | null {
  if (!antiAffinityAllows(group, host)) return new GroupAffinityViolation('Anti-affinity');
  if (!affinityAllows(group, host)) return new GroupAffinityViolation('Affinity');
  return null;
}
