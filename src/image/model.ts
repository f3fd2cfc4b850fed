/**
 * The image as the service works on it, and ImageRecord: the same image in
 * Glance v2's JSON shape, which is what the HTTP API answers and what the
 * compute service gets in-process.
 */

export const DISK_FORMATS = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'] as const;
export const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'] as const;
export const VISIBILITIES = ['public', 'community', 'shared', 'private'] as const;
export const IMAGE_STATUSES = [
  'queued', 'saving', 'active', 'killed', 'deleted', 'uploading', 'importing', 'pending_delete', 'deactivated',
] as const;

export type DiskFormat = (typeof DISK_FORMATS)[number];
export type ContainerFormat = (typeof CONTAINER_FORMATS)[number];
export type Visibility = (typeof VISIBILITIES)[number];
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

/** An image with its extra properties and tags, as loaded from the database. */
export interface Image {
  id: string;
  name: string | null;
  status: ImageStatus;
  visibility: Visibility;
  owner: string | null;
  disk_format: string | null;
  container_format: string | null;
  size: number | null;
  virtual_size: number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  min_disk: number;
  min_ram: number;
  protected: boolean;
  os_hidden: boolean;
  /** ISO-8601 with milliseconds, as stored. */
  created_at: string;
  updated_at: string;
  properties: Record<string, string>;
  tags: string[];
}

/** The attributes every image has (Glance's base properties), in its JSON shape. */
export interface ImageRecordBase {
  id: string;
  name: string | null;
  status: ImageStatus;
  visibility: Visibility;
  protected: boolean;
  os_hidden: boolean;
  owner: string | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  size: number | null;
  virtual_size: number | null;
  min_disk: number;
  min_ram: number;
  disk_format: string | null;
  container_format: string | null;
  tags: string[];
  /** 'YYYY-MM-DDTHH:MM:SSZ', as Glance formats it. */
  created_at: string;
  updated_at: string;
  self: string;
  file: string;
  schema: string;
}

/** Glance v2's image JSON: the base attributes plus extra properties (strings) at the top level. */
export type ImageRecord = ImageRecordBase & Record<string, unknown>;

/** The names of Glance's base attributes; everything else on an image is an extra property. */
export const BASE_ATTRIBUTES: ReadonlySet<string> = new Set([
  'id', 'name', 'status', 'visibility', 'protected', 'os_hidden', 'owner', 'checksum', 'os_hash_algo',
  'os_hash_value', 'size', 'virtual_size', 'min_disk', 'min_ram', 'disk_format', 'container_format', 'tags',
  'created_at', 'updated_at', 'self', 'file', 'schema', 'direct_url', 'locations', 'stores',
]);

/** Glance's timeutils.isotime: seconds precision, literal Z. */
export function glanceTime(iso: string): string {
  return `${iso.slice(0, 19)}Z`;
}

export function toImageRecord(image: Image): ImageRecord {
  const self = `/v2/images/${image.id}`;
  return {
    ...image.properties,
    id: image.id,
    name: image.name,
    status: image.status,
    visibility: image.visibility,
    protected: image.protected,
    os_hidden: image.os_hidden,
    owner: image.owner,
    checksum: image.checksum,
    os_hash_algo: image.os_hash_algo,
    os_hash_value: image.os_hash_value,
    size: image.size,
    virtual_size: image.virtual_size,
    min_disk: image.min_disk,
    min_ram: image.min_ram,
    disk_format: image.disk_format,
    container_format: image.container_format,
    tags: [...image.tags],
    created_at: glanceTime(image.created_at),
    updated_at: glanceTime(image.updated_at),
    self,
    file: `${self}/file`,
    schema: '/v2/schemas/image',
  };
}

/** The extra properties of a record (hw_*, os_*, user keys), without the base attributes. */
export function extraProperties(record: ImageRecord): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record)) {
    if (!BASE_ATTRIBUTES.has(k) && typeof v === 'string') out[k] = v;
  }
  return out;
}
