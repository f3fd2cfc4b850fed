/**
 * The compute API's response schemas, keyed by "METHOD route" with the route
 * written relative to /compute/v2.1 as the route table registers it (the
 * version documents relative to /compute). Server actions are keyed by the
 * action's name.
 */
import { servers, serverActions } from './servers.js';
import { serverResources } from './server-resources.js';
import { networking } from './networking.js';
import { resources } from './resources.js';
import { admin } from './admin.js';
import { versions } from './versions.js';
import type { VersionedSpec } from './common.js';

export { Version } from './version.js';
export type { ResponseSpec, VersionedSpec, Schema } from './common.js';
export { serverActions };

export const responseSchemas: Record<string, VersionedSpec> = {
  ...servers, ...serverResources, ...networking, ...resources, ...admin,
};

/** The version documents, keyed by route relative to /compute. */
export const versionDocumentSchemas: Record<string, VersionedSpec> = versions;
