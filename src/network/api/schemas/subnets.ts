/** Subnet bodies (neutron-lib's subnet attribute map); CIDR and address rules are the service's. */
import { boolean, dict, integer, list, onlyEmptyList, onlyNull, resource, string, tags, uuid } from './common.js';

const pool = {
  type: 'object',
  properties: {
    start: { type: 'string', 'x-reason': "Invalid data format for IP pool: '%o'" },
    end: { type: 'string', 'x-reason': "Invalid data format for IP pool: '%o'" },
  },
  required: ['start', 'end'],
  additionalProperties: false,
  'x-reason': { type: "'%j' is not a dictionary", default: "Invalid data format for IP pool: '%j'" },
} as const;

const route = {
  ...dict,
  properties: { destination: string(), nexthop: string() },
  required: ['destination', 'nexthop'],
  'x-reason': { type: "'%j' is not a dictionary", required: "'None' is not a valid string" },
} as const;

const settable = {
  name: string(), description: string(),
  gateway_ip: { anyOf: [{ type: 'null' }, string()], 'x-reason': "'%v' is not a valid string" },
  allocation_pools: list(pool), enable_dhcp: boolean, dns_nameservers: list(string()), host_routes: list(route),
};
const READ_ONLY = [
  'id', 'network_id', 'ip_version', 'cidr', 'tenant_id', 'project_id', 'created_at', 'updated_at', 'revision_number',
  'subnetpool_id', 'ipv6_ra_mode', 'ipv6_address_mode', 'service_types', 'segment_id', 'tags',
];

export const subnetCreate = resource('POST', {
  ...settable,
  network_id: string(), cidr: string(), tenant_id: string(), project_id: string(), tags,
  ip_version: { allOf: [integer, { enum: [4, 6, '4', '6'], 'x-reason': "'%v' is not in [4, 6]" }] },
  // Without a cidr, the subnet's cidr comes from the pool, prefixlen long (the pool's default when not given).
  subnetpool_id: { anyOf: [{ type: 'null' }, uuid], 'x-reason': "'%v' is not a valid UUID" }, prefixlen: integer,
  ipv6_ra_mode: onlyNull, ipv6_address_mode: onlyNull, segment_id: onlyNull,
  service_types: onlyEmptyList,
}, READ_ONLY, ['network_id', 'ip_version']);

export const subnetUpdate = resource('PUT', settable, READ_ONLY);
