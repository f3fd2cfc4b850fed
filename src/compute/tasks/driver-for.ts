import type { Instance } from '../../objects/instance.js';
import type { DriverInstance } from '../../virt/driver.js';
import { toDriverInstance } from '../driver-instance.js';
import type { ComputeHostDeps } from './context.js';
import { imageMetaForInstance } from './image-meta.js';

/** The driver's view of a server on this host. */
export function driverInstanceFor(deps: ComputeHostDeps, instance: Instance): DriverInstance {
  return toDriverInstance(instance, imageMetaForInstance(instance), deps.conf.DEFAULT.instance_name_template);
}
