/** Network bodies (neutron-lib's network and extension attribute maps). */
import { NotFound } from '../../../errors.js';
import { DEFAULT_AVAILABILITY_ZONE } from '../views.js';
import { boolean, integer, list, resource, string, tags } from './common.js';

/** provider:* (admin-only to set; the segment is fixed once made). */
const provider = {
  'provider:network_type': string(), 'provider:physical_network': string(64), 'provider:segmentation_id': integer,
};

const settable = {
  name: string(), description: string(), admin_state_up: boolean, shared: boolean, mtu: integer,
  port_security_enabled: boolean, 'router:external': boolean,
};
const READ_ONLY = [
  'id', 'status', 'subnets', 'tenant_id', 'project_id', 'availability_zones', 'created_at', 'updated_at',
  'revision_number', 'ipv4_address_scope', 'ipv6_address_scope', 'l2_adjacency', 'tags', 'availability_zone_hints',
];

export const networkCreate = resource('POST', {
  ...settable, ...provider, tenant_id: string(), project_id: string(), availability_zone_hints: list(), tags,
}, READ_ONLY);

export const networkUpdate = resource('PUT', { ...settable, ...provider }, READ_ONLY);

/** There is one zone; a hint naming any other would be a promise we cannot keep. */
export function checkAzHints(hints: unknown[]): void {
  for (const hint of hints) {
    if (hint !== DEFAULT_AVAILABILITY_ZONE) {
      throw new NotFound(`AvailabilityZone ${String(hint)} could not be found.`, { type: 'AvailabilityZoneNotFound' });
    }
  }
}
