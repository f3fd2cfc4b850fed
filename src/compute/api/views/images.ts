/**
 * Nova's image proxy view: a Glance v2 image in the shape of the old
 * Nova/Glance v1 API (minRam, minDisk, progress, metadata = extra properties).
 */
import type { ImageInfo } from '../../clients.js';
import { resourceLinks, type Link, type LinkBase } from './flavors.js';
import { imageWantsAutoDiskConfig } from '../../disk-config.js';

/** Glance v2's own attributes; every other key on an image is an extra property. */
const GLANCE_BASE_ATTRIBUTES: ReadonlySet<string> = new Set([
  'id', 'name', 'status', 'visibility', 'protected', 'os_hidden', 'owner', 'checksum', 'os_hash_algo',
  'os_hash_value', 'size', 'virtual_size', 'min_disk', 'min_ram', 'disk_format', 'container_format', 'tags',
  'created_at', 'updated_at', 'self', 'file', 'schema', 'direct_url', 'locations', 'stores',
]);

const STATUS: Record<string, string> = {
  active: 'ACTIVE', queued: 'SAVING', saving: 'SAVING', deleted: 'DELETED', pending_delete: 'DELETED', killed: 'ERROR',
};
const PROGRESS: Record<string, number> = { queued: 25, saving: 50, active: 100 };


export function imageProperties(image: ImageInfo): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(image)) {
    if (!GLANCE_BASE_ATTRIBUTES.has(k) && typeof v === 'string') out[k] = v;
  }
  return out;
}

/** Glance's own link for the image, beside Nova's self and bookmark. */
function imageLinks(base: LinkBase, glanceBase: string, id: string): Link[] {
  return [...resourceLinks(base, 'images', id), { rel: 'alternate', type: 'application/vnd.openstack.image', href: `${glanceBase}/images/${encodeURIComponent(id)}` }];
}

/** Glance's 'YYYY-MM-DDTHH:MM:SSZ' kept; anything else normalised to it. */
function isoTime(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function imageBrief(base: LinkBase, glanceBase: string, image: ImageInfo) {
  return { id: image.id, name: image.name ?? null, links: imageLinks(base, glanceBase, image.id) };
}

export function imageDetail(base: LinkBase, glanceBase: string, image: ImageInfo): Record<string, unknown> {
  const metadata = imageProperties(image);
  const view: Record<string, unknown> = {
    id: image.id,
    name: image.name ?? null,
    minRam: Number(image.min_ram ?? 0) || 0,
    minDisk: Number(image.min_disk ?? 0) || 0,
    metadata,
    created: isoTime(image.created_at),
    updated: isoTime(image.updated_at),
    status: Object.hasOwn(STATUS, image.status) ? STATUS[image.status] : 'UNKNOWN',
    progress: Object.hasOwn(PROGRESS, image.status) ? PROGRESS[image.status] : 0,
    'OS-EXT-IMG-SIZE:size': typeof image.size === 'number' ? image.size : null,
    links: imageLinks(base, glanceBase, image.id),
  };
  if (Object.hasOwn(metadata, 'instance_uuid')) {
    view.server = { id: metadata.instance_uuid, links: resourceLinks(base, 'servers', metadata.instance_uuid) };
  }
  if (Object.hasOwn(metadata, 'auto_disk_config')) {
    view['OS-DCF:diskConfig'] = imageWantsAutoDiskConfig(metadata.auto_disk_config) ? 'AUTO' : 'MANUAL';
  }
  return view;
}
