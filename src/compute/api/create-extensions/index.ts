/** The create extension points, in the order they apply. */
import type { CreateExtension } from './extension.js';
import { accessIps } from './access-ips.js';
import { availabilityZone } from './availability-zone.js';
import { blockDeviceMapping } from './block-device-mapping.js';
import { configDrive } from './config-drive.js';
import { diskConfig } from './disk-config.js';
import { keypairs } from './keypairs.js';
import { multipleCreate } from './multiple-create.js';
import { personality } from './personality.js';
import { schedulerHints } from './scheduler-hints.js';
import { securityGroups } from './security-groups.js';
import { userData } from './user-data.js';

export const CREATE_EXTENSIONS: readonly CreateExtension[] = [
  accessIps, availabilityZone, blockDeviceMapping, configDrive, diskConfig, keypairs, multipleCreate, personality, schedulerHints, securityGroups, userData,
];

export type { CreateBody, CreateExtension } from './extension.js';
