/**
 * Nova's _validate_instance_group_policy on this host: the scheduler chose it,
 * but two requests scheduled at once (or an administrator's forced host) can
 * still break the group's hard policy, so the host checks before it builds or
 * rebuilds the server. The server's host is set before the host is told, so
 * members placed here at the same time see each other.
 */
import { groupPolicyViolation } from '../group-policy.js';
import type { ComputeHostDeps } from './context.js';

/** Throws the GroupAffinityViolation of running `instanceUuid` here, if its group (`groupUuid`, null for none) forbids it. */
export async function validateInstanceGroupPolicy(deps: ComputeHostDeps, instanceUuid: string, groupUuid: string | null): Promise<void> {
  if (groupUuid === null) return;
  const group = await deps.store.getGroupPlacement(groupUuid, instanceUuid);
  if (!group) return;
  const violation = groupPolicyViolation({ ...group, hosts: new Map(Object.entries(group.hosts)) }, deps.host);
  if (violation) throw violation;
}
