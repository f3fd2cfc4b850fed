import type { Instance } from '../objects/instance.js';
import type { ImageMeta } from '../objects/image-meta.js';
import type { DriverInstance } from '../virt/driver.js';

/** Nova's instance_name_template, e.g. instance-%08x → instance-0000002a. */
export function hypervisorName(template: string, id: number): string {
  return template.replace(/%(0?)(\d*)x/, (_m, zero: string, width: string) => id.toString(16).padStart(Number(width || 0), zero ? '0' : ' '))
    .replace(/%(0?)(\d*)d/, (_m, zero: string, width: string) => String(id).padStart(Number(width || 0), zero ? '0' : ' '));
}

/** The plain view of a server a virt driver is given. */
export function toDriverInstance(instance: Instance, image: ImageMeta, nameTemplate: string): DriverInstance {
  return {
    uuid: instance.uuid, name: hypervisorName(nameTemplate, instance.id), hostname: instance.hostname,
    displayName: instance.display_name, projectId: instance.project_id, userId: instance.user_id,
    availabilityZone: instance.availability_zone, launchIndex: instance.launch_index, createdAt: instance.created_at,
    flavor: instance.flavor, image, userData: instance.user_data, keyName: instance.key_name, keyData: instance.key_data, metadata: instance.metadata,
    configDrive: instance.config_drive !== '' && instance.config_drive !== 'False',
  };
}
