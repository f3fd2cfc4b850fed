import type { VersionRange } from '../../http/microversion.js';

/** Placement's microversions: 1.0 up to the 1.39 of the Zed–2024 releases. */
export const PLACEMENT_API_VERSIONS: VersionRange = {
  service: 'placement',
  min: '1.0',
  max: '1.39',
};
