/** Security groups and rules, os-networks and os-tenant-networks (Nova's proxies to the network service). */
import { obj, wrap, list, str, strOrNull, intOrNull, ok, fixed, until, type Schema, type VersionedSpec } from './common.js';

const idType: Schema = { type: ['string', 'integer'] };
const rule: Schema = obj({
  id: idType, parent_group_id: { type: ['string', 'integer', 'null'] }, ip_protocol: strOrNull,
  from_port: intOrNull, to_port: intOrNull,
  group: obj({ name: str, tenant_id: str }, []),
  ip_range: obj({ cidr: str }, []),
});
export const securityGroup: Schema = obj({ id: idType, name: str, description: str, tenant_id: str, rules: { type: 'array', items: rule } });

const network: Schema = {
  type: 'object',
  properties: {
    id: str, label: str,
    ...Object.fromEntries(['cidr', 'netmask', 'gateway', 'broadcast', 'dns1', 'dns2', 'cidr_v6', 'gateway_v6', 'netmask_v6',
      'created_at', 'updated_at', 'deleted_at', 'deleted', 'injected', 'bridge', 'vlan', 'vpn_public_address', 'vpn_public_port',
      'vpn_private_address', 'dhcp_start', 'project_id', 'host', 'bridge_interface', 'multi_host', 'priority', 'rxtx_base', 'mtu',
      'dhcp_server', 'enable_dhcp', 'share_address'].map((k) => [k, { type: ['null', 'string', 'integer', 'boolean'] }])),
  },
  required: ['id', 'label', 'cidr', 'netmask', 'gateway', 'broadcast', 'dns1', 'dns2', 'cidr_v6', 'gateway_v6', 'netmask_v6'],
  additionalProperties: false,
};
const tenantNetwork: Schema = obj({ id: str, cidr: strOrNull, label: str });

export const networking: Record<string, VersionedSpec> = {
  'GET /os-security-groups': until('2.35', fixed(ok(list('security_groups', securityGroup)))),
  'POST /os-security-groups': until('2.35', fixed(ok(wrap('security_group', securityGroup)))),
  'GET /os-security-groups/:id': until('2.35', fixed(ok(wrap('security_group', securityGroup)))),
  'PUT /os-security-groups/:id': until('2.35', fixed(ok(wrap('security_group', securityGroup)))),
  'POST /os-security-group-rules': fixed(ok(wrap('security_group_rule', rule))),
  'GET /os-networks': until('2.35', fixed(ok(list('networks', network)))),
  'GET /os-networks/:id': until('2.35', fixed(ok(wrap('network', network)))),
  'GET /os-tenant-networks': until('2.35', fixed(ok(list('networks', tenantNetwork)))),
  'GET /os-tenant-networks/:id': until('2.35', fixed(ok(wrap('network', tenantNetwork)))),
};
// The rule's own schema requires every field (Tempest's create_security_group_rule); inside a group they may be absent.
networking['POST /os-security-group-rules'] = until('2.35', fixed(ok(wrap('security_group_rule',
  { ...rule, required: ['id', 'parent_group_id', 'ip_protocol', 'from_port', 'to_port', 'group', 'ip_range'] }))));
