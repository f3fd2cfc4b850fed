/** Address scope and subnet pool bodies (neutron-lib's address-scope and subnetpool attribute maps). */
import { boolean, integer, list, resource, string, tags, uuid } from './common.js';

const ipVersion = { allOf: [integer, { enum: [4, 6, '4', '6'], 'x-reason': "'%v' is not in [4, 6]" }] } as const;

const SCOPE_READ_ONLY = ['id', 'tenant_id', 'project_id', 'ip_version', 'created_at', 'updated_at', 'revision_number'];

export const addressScopeCreate = resource('POST', {
  name: string(), shared: boolean, ip_version: ipVersion, tenant_id: string(), project_id: string(),
}, SCOPE_READ_ONLY.filter((a) => a !== 'ip_version'), ['ip_version']);

export const addressScopeUpdate = resource('PUT', { name: string(), shared: boolean }, SCOPE_READ_ONLY);

const poolSettable = {
  name: string(), description: string(), prefixes: list(string()), default_prefixlen: integer, min_prefixlen: integer,
  max_prefixlen: integer, is_default: boolean, address_scope_id: { anyOf: [{ type: 'null' }, uuid], 'x-reason': "'%v' is not a valid UUID" },
};
const POOL_READ_ONLY = ['id', 'tenant_id', 'project_id', 'ip_version', 'default_quota', 'created_at', 'updated_at', 'revision_number', 'tags'];

export const subnetPoolCreate = resource('POST', {
  ...poolSettable, shared: boolean, tenant_id: string(), project_id: string(), tags,
}, POOL_READ_ONLY, ['prefixes']);

export const subnetPoolUpdate = resource('PUT', poolSettable, [...POOL_READ_ONLY, 'shared']);
