import type { VersionRange } from '../../http/microversion.js';

/** The compute API's microversion range; the ceiling rises as features land. */
export const COMPUTE_API_VERSIONS: VersionRange = {
  service: 'compute',
  min: '2.1',
  max: '2.96',
  legacyHeader: 'x-openstack-nova-api-version',
};
