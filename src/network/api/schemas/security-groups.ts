/**
 * Security group and rule bodies (neutron's securitygroup extension), and
 * the rule checks a schema cannot express: protocol names, port ranges
 * against the protocol, the remote prefix against the ethertype.
 */
import { BadRequest } from '../../../errors.js';
import type { SecurityGroupRuleCreate } from '../../security-groups.js';
import { resource, string } from './common.js';

const READ_ONLY_GROUP = ['id', 'security_group_rules', 'created_at', 'updated_at', 'revision_number', 'shared', 'tags'];

export const securityGroupCreate = resource('POST', {
  name: string(), description: string(), stateful: { type: 'boolean', 'x-reason': "'%v' is not a valid boolean value" },
  tenant_id: string(), project_id: string(),
}, READ_ONLY_GROUP);

export const securityGroupUpdate = resource('PUT', { name: string(), description: string() }, [...READ_ONLY_GROUP, 'tenant_id', 'project_id', 'stateful']);

const port = { type: ['integer', 'null'], minimum: 0, maximum: 65535, 'x-reason': "'%v' is not a valid port number" } as const;
const READ_ONLY_RULE = ['id', 'created_at', 'updated_at', 'revision_number', 'normalized_cidr', 'remote_address_group_id', 'tags'];

export const securityGroupRuleCreate = resource('POST', {
  security_group_id: string(36),
  direction: { enum: ['ingress', 'egress'] },
  ethertype: { enum: ['IPv4', 'IPv6'] },
  protocol: {
    anyOf: [{ type: 'null' }, { type: 'string', pattern: '^([a-z0-9-]{1,16})$' }, { type: 'integer', minimum: 0, maximum: 255 }],
    'x-reason': "'%v' is not a valid protocol",
  },
  port_range_min: port,
  port_range_max: port,
  remote_ip_prefix: { type: ['string', 'null'], maxLength: 64 },
  remote_group_id: { type: ['string', 'null'], maxLength: 36 },
  description: string(),
  tenant_id: string(),
  project_id: string(),
}, READ_ONLY_RULE, ['security_group_id', 'direction']);

const PROTOCOLS = new Set(['tcp', 'udp', 'icmp', 'icmpv6', 'ipv6-icmp', 'sctp', 'gre', 'ah', 'esp', 'igmp', 'ipip', 'vrrp', 'udplite', 'dccp', 'pgm', 'rsvp', 'ospf', 'egp', 'any']);

/** Neutron's own checks of a rule beyond its schema: port ranges, prefixes, remotes. */
export function checkRule(r: SecurityGroupRuleCreate): void {
  if (typeof r.protocol === 'string' && !/^\d+$/.test(r.protocol) && !PROTOCOLS.has(r.protocol)) {
    throw new BadRequest(`Security group rule protocol ${r.protocol} not supported. Only protocol values [None, ${[...PROTOCOLS].join(', ')}] and integer representations [0 to 255] are supported.`);
  }
  if (r.remote_ip_prefix !== null && r.remote_group_id !== null) {
    throw new BadRequest('Only remote_ip_prefix or remote_group_id may be provided.');
  }
  const portful = r.protocol === 'tcp' || r.protocol === 'udp' || r.protocol === 'sctp' || r.protocol === 'dccp' || r.protocol === 'udplite';
  if ((r.port_range_min !== null || r.port_range_max !== null) && r.protocol === null) {
    throw new BadRequest('Must also specify protocol if port range is given.');
  }
  if (portful && r.port_range_min !== null && r.port_range_max !== null && r.port_range_min > r.port_range_max) {
    throw new BadRequest('For TCP/UDP protocols, port_range_min must be <= port_range_max');
  }
  if (r.remote_ip_prefix !== null) {
    const m = /^([0-9a-fA-F:.]+)(?:\/(\d{1,3}))?$/.exec(r.remote_ip_prefix);
    const v6 = m !== null && m[1]!.includes(':');
    const v4 = m !== null && /^\d{1,3}(\.\d{1,3}){3}$/.test(m[1]!) && m[1]!.split('.').every((o) => Number(o) <= 255);
    if (!m || (!v4 && !v6) || (m[2] !== undefined && Number(m[2]) > (v6 ? 128 : 32))) {
      throw new BadRequest(`Invalid input for remote_ip_prefix. Reason: '${r.remote_ip_prefix}' is not a valid IP subnet.`);
    }
    if ((v6 ? 'IPv6' : 'IPv4') !== r.ethertype) {
      throw new BadRequest(`Conflicting value ethertype ${r.ethertype} for CIDR ${r.remote_ip_prefix}`);
    }
  }
}
