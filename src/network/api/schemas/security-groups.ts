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

// The range is checked by checkRule, with Neutron's own message for a port out of it.
const port = { type: ['integer', 'null'], 'x-reason': "'%v' is not a valid port number" } as const;
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
/** IANA numbers of the protocol names above (Neutron compares rules by number). */
const PROTOCOL_NUMBERS: Record<string, number> = {
  tcp: 6, udp: 17, icmp: 1, icmpv6: 58, 'ipv6-icmp': 58, sctp: 132, gre: 47, ah: 51, esp: 50, igmp: 2, ipip: 4,
  vrrp: 112, udplite: 136, dccp: 33, pgm: 113, rsvp: 46, ospf: 89, egp: 8,
};
/** Protocols with ports: DCCP, SCTP, TCP, UDP, UDP-Lite. */
const PORT_PROTOCOLS = new Set([33, 132, 6, 17, 136]);
const ICMP_PROTOCOLS = new Set([1, 58]);

function protocolNumber(protocol: string | number): number | string {
  if (typeof protocol === 'number') return protocol;
  return /^\d+$/.test(protocol) ? Number(protocol) : PROTOCOL_NUMBERS[protocol] ?? protocol;
}

const invalidPortValue = (port: number) => new BadRequest(`Invalid value for port ${port}`, { type: 'SecurityGroupInvalidPortValue' });

/** Neutron's port range rules: ports for port protocols, ICMP type and code for ICMP, nothing for the rest. */
function checkPortRange(r: SecurityGroupRuleCreate): void {
  const { port_range_min: min, port_range_max: max } = r;
  // Each value is a port first, whatever the protocol (neutron converts them as attributes).
  for (const p of [min, max]) if (p !== null && (p < 0 || p > 65535)) throw invalidPortValue(p);
  if (min === null && max === null) return;
  if (r.protocol === null) throw new BadRequest('Must also specify protocol if port range is given.', { type: 'SecurityGroupProtocolRequiredWithPorts' });
  const proto = protocolNumber(r.protocol);
  if (typeof proto === 'number' && PORT_PROTOCOLS.has(proto)) {
    if (min === 0 || max === 0) throw invalidPortValue(0);
    if (min === null || max === null || min > max) {
      throw new BadRequest('For TCP/UDP protocols, port_range_min must be <= port_range_max', { type: 'SecurityGroupInvalidPortRange' });
    }
  } else if (typeof proto === 'number' && ICMP_PROTOCOLS.has(proto)) {
    for (const [attr, field, value] of [['port_range_min', 'type', min], ['port_range_max', 'code', max]] as const) {
      if (value !== null && value > 255) {
        throw new BadRequest(`Invalid value for ICMP ${field} (${attr}) ${value}. It must be 0 to 255.`, { type: 'SecurityGroupInvalidIcmpValue' });
      }
    }
    if (min === null && max !== null) {
      throw new BadRequest(`ICMP code (port-range-max) ${max} is provided but ICMP type (port-range-min) is missing.`, { type: 'SecurityGroupMissingIcmpType' });
    }
  } else {
    throw new BadRequest(`Ports cannot be specified for protocol ${proto}. Ports are only supported for DCCP, SCTP, TCP, UDP, UDPLITE.`,
      { type: 'SecurityGroupInvalidProtocolForPort' });
  }
}

/** Neutron's own checks of a rule beyond its schema: port ranges, prefixes, remotes. */
export function checkRule(r: SecurityGroupRuleCreate): void {
  if (typeof r.protocol === 'string' && !/^\d+$/.test(r.protocol) && !PROTOCOLS.has(r.protocol)) {
    throw new BadRequest(`Security group rule protocol ${r.protocol} not supported. Only protocol values [None, ${[...PROTOCOLS].join(', ')}] and integer representations [0 to 255] are supported.`);
  }
  if (r.remote_ip_prefix !== null && r.remote_group_id !== null) {
    throw new BadRequest('Only remote_ip_prefix or remote_group_id may be provided.');
  }
  checkPortRange(r);
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
