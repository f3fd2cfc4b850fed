/**
 * OS-DCF:diskConfig: AUTO lets the guest grow its root partition to the disk
 * (Nova's instances.auto_disk_config). An image may say what it wants in its
 * `auto_disk_config` property: a boolean word, or "disabled" to forbid AUTO.
 */
import { BadRequest } from '../errors.js';

const TRUE_WORDS = new Set(['1', 't', 'true', 'on', 'y', 'yes']);

/** The image property read as oslo's bool_from_string reads it (absent or anything else is false). */
export function imageWantsAutoDiskConfig(property: unknown): boolean {
  return typeof property === 'string' && TRUE_WORDS.has(property.trim().toLowerCase());
}

/**
 * What a server built (or rebuilt, resized, updated) from this image gets: the
 * requested setting, else the image's; AUTO on an image that disables it is a 400.
 */
export function autoDiskConfigFor(image: { id: string; auto_disk_config?: unknown } | undefined, requested: boolean | undefined): boolean {
  const property = image?.auto_disk_config;
  if (requested && typeof property === 'string' && property.trim().toLowerCase() === 'disabled') {
    throw new BadRequest(`Requested image ${image!.id} has automatic disk resize disabled.`);
  }
  return requested ?? imageWantsAutoDiskConfig(property);
}
