/**
 * The image service over Glance's v2 HTTP API, for a compute host that does
 * not run it (Nova's nova/image/glance.py). Calls made for a user carry the
 * user's token (AuthContext.token) with the service token; image data is
 * streamed both ways, never held whole in memory.
 */
import type { Readable } from 'node:stream';
import { Conflict, Forbidden } from '../../errors.js';
import type { AuthContext } from '../../http/auth.js';
import type { ImageDataSource } from '../../virt/libvirt/image-backend.js';
import type { ImageClient, ImageInfo } from '../clients.js';
import type { ServiceResponse } from './http-transport.js';
import type { KeystoneSession, SessionRequest } from './keystone-session.js';

const PATCH_MEDIA_TYPE = 'application/openstack-images-v2.1-json-patch';

export class HttpImageClient implements ImageClient, ImageDataSource {
  /** The names of Glance's own image attributes, from its image schema (fetched once). */
  private baseAttributes: Promise<Set<string>> | undefined;

  constructor(private readonly session: KeystoneSession) {}

  private call(req: Omit<SessionRequest, 'service'>): Promise<ServiceResponse> {
    return this.session.request('image', { ...req, service: 'image' });
  }

  async getImage(id: string, auth: AuthContext): Promise<ImageInfo> {
    return (await this.call({ path: `/v2/images/${encodeURIComponent(id)}`, userToken: auth.token })).json() as Promise<ImageInfo>;
  }

  async createImage(body: Record<string, unknown>, auth: AuthContext): Promise<ImageInfo> {
    return (await this.call({ method: 'POST', path: '/v2/images', json: body, userToken: auth.token })).json() as Promise<ImageInfo>;
  }

  async listImages(query: Record<string, string>, auth: AuthContext): Promise<{ images: ImageInfo[]; nextMarker?: string }> {
    const qs = new URLSearchParams(query).toString();
    const body = await (await this.call({ path: `/v2/images${qs ? `?${qs}` : ''}`, userToken: auth.token })).json() as { images: ImageInfo[]; next?: string };
    // Glance says there may be more with a `next` link; its marker is the page's last image.
    const nextMarker = body.next ? new URL(body.next, 'http://glance').searchParams.get('marker') ?? undefined : undefined;
    return nextMarker ? { images: body.images, nextMarker } : { images: body.images };
  }

  async uploadImageData(id: string, data: Readable, auth: AuthContext, opts: { contentLength?: number } = {}): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (opts.contentLength !== undefined) headers['content-length'] = String(opts.contentLength);
    const res = await this.call({ method: 'PUT', path: `/v2/images/${encodeURIComponent(id)}/file`, stream: data, headers, userToken: auth.token });
    await res.drain();
  }

  async deleteImage(id: string, auth: AuthContext): Promise<void> {
    await (await this.call({ method: 'DELETE', path: `/v2/images/${encodeURIComponent(id)}`, userToken: auth.token })).drain();
  }

  /**
   * Glance has no "replace the properties" call: as Nova's _update_v2, one
   * JSON patch that removes the extra properties not kept and sets the others.
   */
  async replaceImageProperties(id: string, properties: Record<string, string>, auth: AuthContext): Promise<ImageInfo> {
    const base = await this.imageBaseAttributes();
    for (const key of Object.keys(properties)) {
      if (base.has(key)) throw new Forbidden(`Attribute '${key}' is reserved.`);
    }
    const current = await this.getImage(id, auth);
    const patch: Array<Record<string, unknown>> = [];
    for (const key of Object.keys(current)) {
      if (!base.has(key) && !Object.hasOwn(properties, key)) patch.push({ op: 'remove', path: `/${key}` });
    }
    for (const [key, value] of Object.entries(properties)) {
      patch.push({ op: Object.hasOwn(current, key) ? 'replace' : 'add', path: `/${key}`, value });
    }
    const res = await this.call({
      method: 'PATCH', path: `/v2/images/${encodeURIComponent(id)}`, json: patch, headers: { 'content-type': PATCH_MEDIA_TYPE }, userToken: auth.token,
    });
    return res.json() as Promise<ImageInfo>;
  }

  /** The image's bytes for the virt driver's image cache, as the service user (the image service's openImageData). */
  async openImageData(imageId: string): Promise<{ stream: Readable; size: number; diskFormat: string | null }> {
    const path = `/v2/images/${encodeURIComponent(imageId)}`;
    const image = await (await this.call({ path })).json() as ImageInfo;
    if (image.status !== 'active') throw new Conflict(`Image ${imageId} is not active (status ${image.status}).`);
    const res = await this.call({ path: `${path}/file`, headers: { accept: 'application/octet-stream' } });
    // Glance answers 204 for an image without data.
    if (res.status === 204) {
      await res.drain();
      throw new Conflict(`Image ${imageId} has no data.`);
    }
    const contentLength = res.header('content-length');
    const length = Number(contentLength);
    return {
      stream: res.body,
      size: contentLength !== undefined && Number.isFinite(length) ? length : image.size ?? 0,
      diskFormat: image.disk_format,
    };
  }

  private imageBaseAttributes(): Promise<Set<string>> {
    this.baseAttributes ??= (async () => {
      const schema = await (await this.call({ path: '/v2/schemas/image' })).json() as { properties?: Record<string, unknown> };
      return new Set(Object.keys(schema.properties ?? {}));
    })();
    this.baseAttributes.catch(() => { this.baseAttributes = undefined; });
    return this.baseAttributes;
  }
}
