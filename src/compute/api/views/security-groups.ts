/**
 * Nova's view of Neutron security groups: ingress rules only, each with its
 * port range, its remote group by name and project, or its CIDR.
 */
import type { SecurityGroupInfo, SecurityGroupRuleInfo } from '../../clients.js';

export type GroupNames = Map<string, { name: string; tenant_id: string }>;

export function ruleView(rule: SecurityGroupRuleInfo, groups: GroupNames): Record<string, unknown> | null {
  let from: number | null = rule.port_range_min;
  let to: number | null = rule.port_range_max;
  if (rule.protocol && from === null && to === null) {
    const tcpOrUdp = ['TCP', 'UDP'].includes(rule.protocol.toUpperCase());
    from = tcpOrUdp ? 1 : -1;
    to = tcpOrUdp ? 65535 : -1;
  }
  const view: Record<string, unknown> = {
    id: rule.id, parent_group_id: rule.security_group_id, ip_protocol: rule.protocol, from_port: from, to_port: to, group: {}, ip_range: {},
  };
  if (rule.remote_group_id) {
    const g = groups.get(rule.remote_group_id);
    // A rule whose remote group the caller cannot see is left out, as Nova does.
    if (!g) return null;
    view.group = g;
  } else {
    view.ip_range = { cidr: rule.remote_ip_prefix || '0.0.0.0/0' };
  }
  return view;
}

export function groupView(group: SecurityGroupInfo, groups: GroupNames): Record<string, unknown> {
  return {
    id: group.id,
    description: group.description,
    name: group.name,
    tenant_id: group.project_id,
    rules: group.security_group_rules.filter((r) => r.direction === 'ingress')
      .map((r) => ruleView(r, groups)).filter((r): r is Record<string, unknown> => r !== null),
  };
}

export function namesOf(groups: readonly SecurityGroupInfo[]): GroupNames {
  return new Map(groups.map((g) => [g.id, { name: g.name, tenant_id: g.project_id }]));
}

/** Nova sorts group lists by project, then name. */
export function sortGroups<T extends { tenant_id?: unknown; name?: unknown }>(views: T[]): T[] {
  const key = (v: T) => `${String(v.tenant_id)}\u0001${String(v.name)}`;
  return views.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
