import type { Instance } from '../../objects/instance.js';
import type { ImageMeta } from '../../objects/image-meta.js';

/** What is known of a server's image after its build (its id). */
export function imageMetaForInstance(instance: Instance): ImageMeta {
  return { id: instance.image_ref, name: null, disk_format: null, container_format: null, size: null, min_disk: 0, min_ram: 0, properties: {} };
}
