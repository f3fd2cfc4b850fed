/**
 * ImageService: Glance's business rules over the image tables and the image
 * store. The HTTP API calls it for every route; the compute service calls it
 * in-process (getImage, openImageData) without an HTTP round trip.
 *
 * Visibility works as Glance's database layer does (an image a project may not
 * see is "not found"), and every action is checked against Glance's policy
 * rules (defaultImagePolicy unless another Authorizer is given).
 */
import { randomUUID } from 'node:crypto';
import { INT32_MAX } from '../db/integer-range.js';
import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AuthContext } from '../http/auth.js';
import { ApiError, BadRequest, Conflict, Forbidden, NotFound, OverLimit, PayloadTooLarge } from '../errors.js';
import { isUniqueViolation, nowIso } from '../db/schema-helpers.js';
import type { Authorizer } from '../policy/types.js';
import { ImageRepository } from './db/repository.js';
import { ImageMemberRepository } from './db/member-repository.js';
import { ImageMembers } from './members.js';
import type { ImageDb } from './db/tables.js';
import { parseListQuery, type ImageListQuery, type RawQuery } from './list-query.js';
import { toImageRecord, type Image, type ImageRecord, type ImageStatus, type Visibility } from './model.js';
import { checkWritableAttribute, isBaseAttribute, type ImageChange } from './patch.js';
import { defaultImagePolicy, imageTarget, isImageAdmin } from './policy.js';
import { schemaMismatch } from './schemas.js';
import { ImageDataNotFound, type ImageStore, type StoredImageData } from './store/store.js';
import {
  FormatInspector, ImageUnacceptable, recordedVirtualSize, type InspectionResult,
} from './format-inspector.js';

export interface ImageServiceOptions {
  db: Kysely<any>;
  store: ImageStore;
  logger: Logger;
  /** Policy engine; Glance's defaults (defaultImagePolicy) when absent. */
  policy?: Authorizer;
  /** Largest image accepted, in bytes (Glance's image_size_cap; 1 TiB). */
  imageSizeCap?: number;
  /** Most extra properties per image (Glance's image_property_quota). */
  propertyQuota?: number;
  /** Most tags per image (Glance's image_tag_quota). */
  tagQuota?: number;
  /** Most members per image (Glance's image_member_quota); negative is unlimited. */
  memberQuota?: number;
}

export interface ImageList {
  images: ImageRecord[];
  /** Set when the page was full: the id to pass as marker for the next one. */
  nextMarker?: string;
}

export interface ImageDownload {
  image: ImageRecord;
  /** Null when the image has no data yet (the API answers 204). */
  data: Readable | null;
  size: number;
}

export interface OpenedImageData {
  stream: Readable;
  size: number;
  checksum: string | null;
  diskFormat: string | null;
}

const DEFAULT_SIZE_CAP = 1024 ** 4;

function notFound(id: string): NotFound {
  return new NotFound(`No image found with ID ${id}`);
}

function uploadFailure(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new OverLimit('Image storage media is full.');
  if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || (err as Error)?.message === 'aborted') {
    return new BadRequest('The image upload was interrupted before all data was received.');
  }
  return err;
}

export class ImageService {
  private readonly repo: ImageRepository;
  private readonly store: ImageStore;
  private readonly logger: Logger;
  private readonly policy: Authorizer;
  private readonly sizeCap: number;
  private readonly propertyQuota: number;
  private readonly tagQuota: number;
  private readonly memberRepo: ImageMemberRepository;
  /** The image's members (GET/POST/PUT/DELETE /v2/images/{id}/members...), under the same policy. */
  readonly members: ImageMembers;

  constructor(private readonly opts: ImageServiceOptions) {
    this.repo = new ImageRepository(opts.db as ImageDb);
    this.store = opts.store;
    this.logger = opts.logger;
    this.policy = opts.policy ?? defaultImagePolicy;
    this.sizeCap = opts.imageSizeCap ?? DEFAULT_SIZE_CAP;
    this.propertyQuota = opts.propertyQuota ?? 128;
    this.tagQuota = opts.tagQuota ?? 128;
    this.memberRepo = new ImageMemberRepository(opts.db as ImageDb);
    this.members = new ImageMembers({
      repo: this.memberRepo, policy: this.policy, logger: this.logger, quota: opts.memberQuota ?? 128,
      lookup: (id, auth) => this.loadVisible(id, auth),
      enforce: (action, image, auth) => this.enforce(action, image, auth),
    });
  }

  /** The same service (same database and store) checking actions with another policy engine. */
  withPolicy(policy: Authorizer): ImageService {
    return new ImageService({ ...this.opts, policy });
  }

  get maxImageSize(): number {
    return this.sizeCap;
  }

  // ---- visibility and policy ------------------------------------------------

  /**
   * Glance's is_image_visible: admin sees all; a project its own, public and
   * community images, and shared images it is a member of, whatever its answer
   * (only the list asks for an accepted membership).
   */
  private async visible(image: Image, auth: AuthContext): Promise<boolean> {
    if (isImageAdmin(auth)) return true;
    if (image.owner !== null && image.owner === auth.projectId) return true;
    if (image.visibility === 'public' || image.visibility === 'community') return true;
    return image.visibility === 'shared' && (await this.memberRepo.get(image.id, auth.projectId)) !== undefined;
  }

  private async loadVisible(id: string, auth: AuthContext): Promise<Image> {
    const image = await this.repo.get(id);
    if (!image || !(await this.visible(image, auth))) throw notFound(id);
    return image;
  }

  /**
   * As Glance's ImageAPIPolicy: a denial reads as 404 when the caller may not
   * even see the image, 403 otherwise.
   */
  private enforce(action: string, image: Image, auth: AuthContext): void {
    const target = imageTarget(image, auth);
    if (this.policy.allowed(action, target, auth)) return;
    if (action === 'get_image' || !this.policy.allowed('get_image', target, auth)) throw notFound(image.id);
    this.policy.authorize(action, target, auth);
    throw new Forbidden(`Policy doesn't allow ${action} to be performed.`);
  }

  private checkVisibilityChange(visibility: Visibility, image: Image, auth: AuthContext): void {
    if (visibility === 'public') this.policy.authorize('publicize_image', imageTarget({ ...image, visibility }, auth), auth);
    if (visibility === 'community') this.policy.authorize('communitize_image', imageTarget({ ...image, visibility }, auth), auth);
  }

  // ---- reading --------------------------------------------------------------

  /** The image as `auth`'s project sees it; NotFound when missing or not visible to it. */
  async getImage(id: string, auth: AuthContext): Promise<ImageRecord> {
    const image = await this.loadVisible(id, auth);
    this.enforce('get_image', image, auth);
    return toImageRecord(image);
  }

  /** One page of images; `query` is either raw GET /v2/images parameters or already parsed. */
  async listImages(query: RawQuery | ImageListQuery, auth: AuthContext): Promise<ImageList> {
    const q = 'filters' in query && Array.isArray(query.filters) ? query as ImageListQuery : parseListQuery(query as RawQuery);
    this.policy.authorize('get_images', { project_id: auth.projectId }, auth);
    let marker: Image | undefined;
    if (q.marker !== undefined) {
      marker = await this.repo.get(q.marker);
      if (!marker || !(await this.visible(marker, auth))) throw new BadRequest(`No image found with ID ${q.marker}`);
    }
    const rows = await this.repo.list({
      viewer: { projectId: auth.projectId, isAdmin: isImageAdmin(auth) },
      ...(q.visibility !== undefined ? { visibility: q.visibility } : {}),
      memberStatus: q.memberStatus,
      filters: q.filters,
      sort: q.sort,
      limit: q.limit,
      ...(marker ? { marker } : {}),
    });
    const images = rows.filter((img) => this.policy.allowed('get_image', imageTarget(img, auth), auth));
    // As Glance: the page was full, so there may be more, even if policy hid some rows.
    const result: ImageList = { images: images.map(toImageRecord) };
    if (rows.length === q.limit && images.length > 0) result.nextMarker = images[images.length - 1]!.id;
    return result;
  }

  // ---- creating and changing ------------------------------------------------

  /** `input` is a body the image API has validated against the image schema (api/schemas/images.ts). */
  async createImage(input: Record<string, unknown>, auth: AuthContext): Promise<ImageRecord> {
    const now = nowIso();
    const properties: Record<string, string> = {};
    for (const [key, value] of Object.entries(input)) {
      if (!isBaseAttribute(key)) properties[key] = value as string;
    }
    const image: Image = {
      id: typeof input.id === 'string' ? input.id : randomUUID(),
      name: (input.name as string | null | undefined) ?? null,
      status: 'queued',
      visibility: (input.visibility as Visibility | undefined) ?? 'shared',
      owner: input.owner !== undefined ? (input.owner as string | null) : auth.projectId,
      disk_format: (input.disk_format as string | null | undefined) ?? null,
      container_format: (input.container_format as string | null | undefined) ?? null,
      size: null,
      virtual_size: null,
      checksum: null,
      os_hash_algo: null,
      os_hash_value: null,
      min_disk: (input.min_disk as number | undefined) ?? 0,
      min_ram: (input.min_ram as number | undefined) ?? 0,
      protected: (input.protected as boolean | undefined) ?? false,
      os_hidden: (input.os_hidden as boolean | undefined) ?? false,
      created_at: now,
      updated_at: now,
      properties,
      tags: [...new Set((input.tags as string[] | undefined) ?? [])],
    };
    this.checkLimits(image);
    this.policy.authorize('add_image', imageTarget(image), auth);
    this.checkVisibilityChange(image.visibility, image, auth);
    if (input.id !== undefined && await this.repo.idTaken(image.id)) {
      throw new Conflict(`Image with identifier ${image.id} already exists!`);
    }
    try {
      await this.repo.insert(image);
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`Image with identifier ${image.id} already exists!`);
      throw err;
    }
    this.logger.info({ image_id: image.id, owner: image.owner }, 'image created');
    return toImageRecord(image);
  }

  private checkLimits(image: Image): void {
    if (image.min_disk < 0) throw new BadRequest('min_disk: Cannot be a negative value.');
    if (image.min_ram < 0) throw new BadRequest('min_ram: Cannot be a negative value.');
    // Stored in 32-bit columns (Glance's too): a larger value is the client's error, not the database's.
    if (image.min_disk > INT32_MAX) throw new BadRequest(`min_disk: Cannot be greater than ${INT32_MAX}.`);
    if (image.min_ram > INT32_MAX) throw new BadRequest(`min_ram: Cannot be greater than ${INT32_MAX}.`);
    if (Object.keys(image.properties).length > this.propertyQuota) {
      throw new OverLimit(`Attempted: ${Object.keys(image.properties).length}, Maximum: ${this.propertyQuota}. Maximum number of image properties exceeded.`);
    }
    if (image.tags.length > this.tagQuota) {
      throw new OverLimit(`Attempted: ${image.tags.length}, Maximum: ${this.tagQuota}. Maximum number of tags exceeded.`);
    }
  }

  /** Apply JSON-patch changes (see patch.ts) as Glance's images controller does. */
  async updateImage(id: string, changes: readonly ImageChange[], auth: AuthContext): Promise<ImageRecord> {
    const before = await this.loadVisible(id, auth);
    this.enforce('modify_image', before, auth);
    const after: Image = { ...before, properties: { ...before.properties }, tags: [...before.tags] };
    for (const change of changes) this.applyChange(after, change, before, auth);
    if (changes.length === 0) return toImageRecord(before);
    this.checkLimits(after);
    after.updated_at = nowIso();
    if (!(await this.repo.save(before, after))) throw notFound(id);
    return toImageRecord(after);
  }

  /**
   * Replaces an image's extra properties as a whole (what Nova's image
   * metadata proxy does: read, change, write back with purge_props).
   */
  async replaceImageProperties(id: string, properties: Record<string, string>, auth: AuthContext): Promise<ImageRecord> {
    const before = await this.loadVisible(id, auth);
    this.enforce('modify_image', before, auth);
    for (const [key, value] of Object.entries(properties)) {
      if (isBaseAttribute(key)) throw new Forbidden(`Attribute '${key}' is reserved.`);
      if (key.length > 255) throw new BadRequest('Custom property should not be greater than 255 characters.');
      if (typeof value !== 'string') throw new BadRequest(schemaMismatch(`the value of ${key} is not a string`));
      checkWritableAttribute(key);
    }
    const after: Image = { ...before, properties: { ...properties }, tags: [...before.tags], updated_at: nowIso() };
    this.checkLimits(after);
    if (!(await this.repo.save(before, after))) throw notFound(id);
    return toImageRecord(after);
  }

  private applyChange(image: Image, change: ImageChange, original: Image, auth: AuthContext): void {
    const { op, path } = change;
    if (path === 'locations') {
      throw new Forbidden(`It's not allowed to ${op === 'remove' ? 'remove' : 'update'} locations if locations are invisible.`);
    }
    if (op === 'remove') {
      if (isBaseAttribute(path)) throw new Forbidden(`Property ${path} may not be removed.`);
      if (!Object.hasOwn(image.properties, path)) throw new Conflict(`Property ${path} does not exist.`);
      delete image.properties[path];
      return;
    }
    if (!isBaseAttribute(path)) {
      const exists = path in image.properties;
      if (op === 'replace' && !exists) throw new Conflict(`Property ${path} does not exist.`);
      if (op === 'add' && exists && change.draft === 4) throw new Conflict(`Property ${path} already present.`);
      image.properties[path] = change.value as string;
      return;
    }
    if (op === 'add' && change.draft === 4) throw new Conflict(`Property ${path} already present.`);
    this.setBaseAttribute(image, path, change.value, original, auth);
  }

  private setBaseAttribute(image: Image, name: string, value: unknown, original: Image, auth: AuthContext): void {
    switch (name) {
      case 'owner':
        if (!isImageAdmin(auth)) throw new Forbidden("Owner can't be updated by non admin.");
        image.owner = value as string | null;
        return;
      case 'visibility':
        if (value !== original.visibility) this.checkVisibilityChange(value as Visibility, image, auth);
        image.visibility = value as Visibility;
        return;
      case 'disk_format': case 'container_format':
        // The data was checked against the declared format when it was uploaded.
        if (value !== original[name] && !['queued', 'importing'].includes(image.status)) {
          throw new Forbidden(`Attribute ${name} can be only replaced for a queued image.`);
        }
        image[name] = value as string | null;
        return;
      case 'tags':
        image.tags = [...new Set(value as string[])];
        return;
      case 'name':
        image.name = value as string | null;
        return;
      case 'min_disk': case 'min_ram':
        image[name] = value as number;
        return;
      case 'protected': case 'os_hidden':
        image[name] = value as boolean;
        return;
      default:
        // Any other base attribute is read-only and was refused while parsing.
        throw new Forbidden(`Attribute '${name}' is read-only.`);
    }
  }

  async deleteImage(id: string, auth: AuthContext): Promise<void> {
    const image = await this.loadVisible(id, auth);
    this.enforce('delete_image', image, auth);
    if (image.protected) throw new Forbidden(`Image ${id} is protected and cannot be deleted.`);
    if (!(await this.repo.softDelete(id))) throw notFound(id);
    await this.removeData(id);
    this.logger.info({ image_id: id }, 'image deleted');
  }

  private async removeData(id: string): Promise<void> {
    try {
      await this.store.delete(id);
    } catch (err) {
      // The record is gone either way; leftover bytes are only wasted space.
      this.logger.error({ err, image_id: id }, 'could not remove image data from the store');
    }
  }

  async addTag(id: string, tag: string, auth: AuthContext): Promise<void> {
    const image = await this.loadVisible(id, auth);
    this.enforce('modify_image', image, auth);
    if (tag.length > 255) throw new BadRequest(schemaMismatch(`${JSON.stringify(tag)} is too long (tags items)`));
    if (image.tags.includes(tag)) return;
    if (image.tags.length + 1 > this.tagQuota) {
      throw new OverLimit(`Attempted: ${image.tags.length + 1}, Maximum: ${this.tagQuota}. Maximum number of tags exceeded.`);
    }
    await this.repo.addTag(id, tag);
  }

  async removeTag(id: string, tag: string, auth: AuthContext): Promise<void> {
    const image = await this.loadVisible(id, auth);
    this.enforce('modify_image', image, auth);
    if (!(await this.repo.removeTag(id, tag))) throw new NotFound(`Tag ${tag} not found`);
  }

  async deactivateImage(id: string, auth: AuthContext): Promise<void> {
    await this.changeActivation(id, auth, 'deactivate', 'active', 'deactivated');
  }

  async reactivateImage(id: string, auth: AuthContext): Promise<void> {
    await this.changeActivation(id, auth, 'reactivate', 'deactivated', 'active');
  }

  private async changeActivation(id: string, auth: AuthContext, action: string, from: ImageStatus, to: ImageStatus): Promise<void> {
    const image = await this.loadVisible(id, auth);
    this.enforce(action, image, auth);
    if (image.status === to) return;
    if (image.status !== from || !(await this.repo.transition(id, [from], to))) {
      throw new Forbidden(`Not allowed to ${action} image in status '${image.status}'`);
    }
  }

  // ---- data -----------------------------------------------------------------

  /**
   * Stream the image data into the store: queued → saving → active, with the
   * size, digests and virtual size recorded. The data is inspected on its way
   * through (see format-inspector.ts): content that is unsafe or is not its
   * declared disk_format fails the upload with a 400, as soon as that is
   * certain. Anything that goes wrong puts the image back to queued with no
   * data, so the upload can simply be retried.
   */
  async uploadImageData(id: string, data: Readable, auth: AuthContext, opts: { contentLength?: number } = {}): Promise<void> {
    const image = await this.loadVisible(id, auth);
    this.enforce('upload_image', image, auth);
    if (image.status !== 'queued') {
      throw new Conflict(`Image status transition from ${image.status} to saving is not allowed`);
    }
    if (!image.disk_format || !image.container_format) {
      throw new BadRequest('Properties disk_format, container_format must be set prior to saving data.');
    }
    if (opts.contentLength !== undefined && opts.contentLength > this.sizeCap) {
      throw new PayloadTooLarge(`Image exceeds the storage quota: ${opts.contentLength} bytes is more than the ${this.sizeCap} allowed.`);
    }
    if (!(await this.repo.transition(id, ['queued'], 'saving'))) {
      const now = await this.repo.get(id);
      if (!now) throw notFound(id);
      throw new Conflict(`Image status transition from ${now.status} to saving is not allowed`);
    }
    const declared = { diskFormat: image.disk_format, containerFormat: image.container_format };
    const inspection = new FormatInspector({ expectedFormat: declared.diskFormat, containerFormat: declared.containerFormat });
    let stored: StoredImageData;
    let inspected: InspectionResult | undefined;
    try {
      stored = await this.store.put(id, this.capped(this.inspected(data, inspection, (result) => { inspected = result; })));
    } catch (err) {
      await this.repo.transition(id, ['saving'], 'queued').catch((e) => this.logger.error({ err: e, image_id: id }, 'could not reset image status'));
      if (err instanceof ImageUnacceptable) {
        this.logger.warn({ image_id: id, disk_format: declared.diskFormat, reason: err.message }, 'image data refused');
        throw new BadRequest(err.message);
      }
      const failure = uploadFailure(err);
      if (!(failure instanceof ApiError)) this.logger.error({ err, image_id: id }, 'image upload failed');
      throw failure;
    }
    const virtualSize = inspected ? recordedVirtualSize(declared.diskFormat, inspected, declared) : null;
    const activated = await this.repo.transition(id, ['saving'], 'active', {
      size: stored.size, checksum: stored.checksum, os_hash_algo: stored.os_hash_algo, os_hash_value: stored.os_hash_value,
      virtual_size: virtualSize,
    }).catch(async (err) => {
      await this.removeData(id);
      throw err;
    });
    if (!activated) {
      // Deleted while the data was arriving: the record is gone, so the bytes go too.
      await this.removeData(id);
      throw new ApiError(410, `Image ${id} could not be found after upload. The image may have been deleted during the upload.`);
    }
    this.logger.info({ image_id: id, size: stored.size, format: inspected?.format, virtual_size: virtualSize }, 'image data uploaded');
  }

  /**
   * The data passed through the format inspector on its way to the store. A
   * refusal is thrown into the stream, so the store drops the partial data
   * exactly as for a broken upload; the last check runs after the last byte
   * and before the store can make the data visible.
   */
  private inspected(data: Readable, inspector: FormatInspector, onResult: (result: InspectionResult) => void): Readable {
    return Readable.from((async function* inspect() {
      for await (const chunk of data) {
        inspector.feed(chunk as Buffer);
        yield chunk as Buffer;
      }
      onResult(inspector.finish());
    })(), { objectMode: false });
  }

  /** The data as it arrives, refused past the size cap without buffering it. */
  private capped(data: Readable): Readable {
    const cap = this.sizeCap;
    return Readable.from((async function* limit() {
      let seen = 0;
      for await (const chunk of data) {
        seen += (chunk as Buffer).length;
        if (seen > cap) throw new PayloadTooLarge(`Image exceeds the storage quota: more than ${cap} bytes.`);
        yield chunk as Buffer;
      }
    })(), { objectMode: false });
  }

  /** GET /v2/images/{id}/file: the data with the record, or data null (204) when there is none. */
  async downloadImageData(id: string, auth: AuthContext): Promise<ImageDownload> {
    const image = await this.loadVisible(id, auth);
    this.enforce('download_image', image, auth);
    if (image.status === 'deactivated' && !isImageAdmin(auth)) {
      throw new Forbidden('The requested image has been deactivated. Image data download is forbidden.');
    }
    const record = toImageRecord(image);
    if ((image.status !== 'active' && image.status !== 'deactivated') || image.size === null) {
      return { image: record, data: null, size: 0 };
    }
    try {
      const { stream, size } = await this.store.get(id);
      return { image: record, data: stream, size };
    } catch (err) {
      if (err instanceof ImageDataNotFound) throw new NotFound(`Image data for ${id} could not be found.`);
      throw err;
    }
  }

  /**
   * The data of an active image for in-process consumers (the libvirt
   * driver's image cache). No policy check: the caller already decided the
   * instance may use the image.
   */
  async openImageData(id: string): Promise<OpenedImageData> {
    const image = await this.repo.get(id);
    if (!image) throw notFound(id);
    if (image.status !== 'active') throw new Conflict(`Image ${id} is not active (status ${image.status}).`);
    try {
      const { stream, size } = await this.store.get(id);
      return { stream, size, checksum: image.checksum, diskFormat: image.disk_format };
    } catch (err) {
      if (err instanceof ImageDataNotFound) throw new NotFound(`Image data for ${id} could not be found.`);
      throw err;
    }
  }
}
