/**
 * The image JSON schema Glance publishes at /v2/schemas/image (clients such as
 * glanceclient read it to learn which attributes exist). The image API
 * validates request bodies against this same schema (api/schemas/images.ts).
 * Attributes not in the schema are extra properties and must be strings, as
 * Glance's "permissive" schema says.
 */
import { CONTAINER_FORMATS, DISK_FORMATS, IMAGE_STATUSES, VISIBILITIES } from './model.js';
import { MEMBER_STATUSES } from './member-model.js';

type JsonType = 'string' | 'null' | 'integer' | 'boolean' | 'array' | 'object';

export interface PropertySchema {
  type: JsonType | JsonType[];
  description: string;
  readOnly?: boolean;
  enum?: (string | null)[];
  maxLength?: number;
  pattern?: string;
  items?: PropertySchema | Record<string, unknown>;
}

const UUID_PATTERN = '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$';

export const IMAGE_PROPERTIES: Record<string, PropertySchema> = {
  id: { type: 'string', description: 'Image identifier (a UUID)', pattern: UUID_PATTERN },
  name: { type: ['null', 'string'], description: 'Human-readable image name', maxLength: 255 },
  status: { type: 'string', readOnly: true, description: 'Lifecycle state of the image', enum: [...IMAGE_STATUSES] },
  visibility: { type: 'string', description: 'Who may see the image', enum: [...VISIBILITIES] },
  protected: { type: 'boolean', description: 'A protected image cannot be deleted' },
  os_hidden: { type: 'boolean', description: 'A hidden image is left out of the default image list' },
  checksum: { type: ['null', 'string'], readOnly: true, description: 'MD5 of the image data', maxLength: 32 },
  os_hash_algo: { type: ['null', 'string'], readOnly: true, description: 'Algorithm of os_hash_value', maxLength: 64 },
  os_hash_value: { type: ['null', 'string'], readOnly: true, description: 'Hex digest of the image data by os_hash_algo', maxLength: 128 },
  owner: { type: ['null', 'string'], description: 'Project owning the image', maxLength: 255 },
  size: { type: ['null', 'integer'], readOnly: true, description: 'Image data size in bytes' },
  virtual_size: { type: ['null', 'integer'], readOnly: true, description: 'Size of the disk the image expands to, in bytes' },
  container_format: { type: ['null', 'string'], description: 'Container the disk image is wrapped in', enum: [null, ...CONTAINER_FORMATS] },
  disk_format: { type: ['null', 'string'], description: 'Format of the disk image', enum: [null, ...DISK_FORMATS] },
  created_at: { type: 'string', readOnly: true, description: 'When the image was created' },
  updated_at: { type: 'string', readOnly: true, description: 'When the image last changed' },
  tags: { type: 'array', description: 'Free-form labels', items: { type: 'string', maxLength: 255 } as PropertySchema },
  direct_url: { type: 'string', readOnly: true, description: 'Location of the data in its backing store' },
  min_ram: { type: 'integer', description: 'RAM (MiB) needed to boot the image' },
  min_disk: { type: 'integer', description: 'Disk (GiB) needed to boot the image' },
  self: { type: 'string', readOnly: true, description: 'Link to this image' },
  file: { type: 'string', readOnly: true, description: 'Link to the image data' },
  stores: { type: 'string', readOnly: true, description: 'Stores holding the data (multiple stores only)' },
  schema: { type: 'string', readOnly: true, description: 'Link to this schema' },
  locations: {
    type: 'array', description: 'Locations of the image data in external stores',
    items: { type: 'object', properties: { url: { type: 'string', maxLength: 255 }, metadata: { type: 'object' } }, required: ['url', 'metadata'] },
  },
};

export function imageSchema(): Record<string, unknown> {
  return {
    name: 'image',
    properties: IMAGE_PROPERTIES,
    additionalProperties: { type: 'string' },
    links: [
      { rel: 'self', href: '{self}' },
      { rel: 'enclosure', href: '{file}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  };
}

export function imagesSchema(): Record<string, unknown> {
  return {
    name: 'images',
    properties: {
      images: { type: 'array', items: imageSchema() },
      first: { type: 'string' },
      next: { type: 'string' },
      schema: { type: 'string' },
    },
    links: [
      { rel: 'first', href: '{first}' },
      { rel: 'next', href: '{next}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  };
}

export function schemaMismatch(reason: string): string {
  return `Provided object does not match schema 'image': ${reason}`;
}

const MEMBER_PROPERTIES: Record<string, PropertySchema> = {
  member_id: { type: 'string', description: 'The project the image is shared with' },
  image_id: { type: 'string', description: 'The shared image', pattern: UUID_PATTERN },
  created_at: { type: 'string', description: 'When the membership was created' },
  updated_at: { type: 'string', description: 'When the membership last changed' },
  status: { type: 'string', description: "The member's answer to the offer", enum: [...MEMBER_STATUSES] },
  schema: { type: 'string', readOnly: true, description: 'Link to this schema' },
};

/** /v2/schemas/member: Glance serves its member schema's minimal form (name and properties). */
export function memberSchema(): Record<string, unknown> {
  return { name: 'member', properties: MEMBER_PROPERTIES };
}

/** /v2/schemas/members: the collection's minimal form, as Glance serves it. */
export function membersSchema(): Record<string, unknown> {
  return {
    name: 'members',
    properties: {
      members: { type: 'array', items: memberSchema() },
      schema: { type: 'string' },
    },
    links: [{ rel: 'describedby', href: '{schema}' }],
  };
}
