/** Port bodies (neutron-lib's port, binding and port-security attribute maps). */
import { checkIpText } from '../../ports.js';
import { boolean, dict, list, onlyEmptyList, resource, string, tags, uuid } from './common.js';

/** One fixed_ips entry: a subnet, an address, or both. */
export const fixedIp = {
  type: 'object',
  properties: { subnet_id: string(), ip_address: string() },
  additionalProperties: false,
  anyOf: [{ required: ['subnet_id'] }, { required: ['ip_address'] }],
  'x-reason': { type: "'%j' is not a dictionary", anyOf: 'each entry needs subnet_id or ip_address' },
} as const;

/**
 * allowed_address_pairs: a list of objects, or null for none. What each entry
 * holds is checked in Neutron's order by checkAddressPairs (../../address-pairs.ts),
 * as its count is checked before its entries.
 */
const addressPairs = {
  type: ['array', 'null'], items: { type: 'object' },
} as const;

const settable = {
  name: string(), description: string(), admin_state_up: boolean, mac_address: string(), fixed_ips: list(fixedIp),
  device_id: string(), device_owner: string(), 'binding:host_id': string(),
  // The one vnic type a software bridge can give.
  'binding:vnic_type': { type: 'string', maxLength: 255, enum: ['normal'] },
  'binding:profile': dict, port_security_enabled: boolean,
  security_groups: onlyEmptyList, allowed_address_pairs: addressPairs, extra_dhcp_opts: onlyEmptyList,
};
const READ_ONLY = [
  'id', 'network_id', 'tenant_id', 'project_id', 'status', 'created_at', 'updated_at', 'revision_number',
  'binding:vif_type', 'binding:vif_details', 'ip_allocation', 'tags',
];

export const portCreate = resource('POST', {
  ...settable, security_groups: list(uuid), network_id: string(), tenant_id: string(), project_id: string(), tags,
  // Set by a compute host over HTTP for the ports it makes (see CREATED_BY_COMPUTE in ../ports.ts).
  'kilonova:created_by_compute': boolean,
}, READ_ONLY, ['network_id']);
// An update may name the groups the port carries (how Nova sets an instance's groups on its ports).
export const portUpdate = resource('PUT', { ...settable, security_groups: list(string()) }, READ_ONLY);

/** What the schema cannot say: each fixed address must be an IPv4 address. */
export function checkFixedIps(entries: ReadonlyArray<{ ip_address?: string }>, attr = 'fixed_ips'): void {
  for (const e of entries) if (e.ip_address !== undefined) checkIpText(attr, e.ip_address);
}
