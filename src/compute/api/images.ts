/**
 * /images: Nova's proxy to the image service (list, detail, show, delete),
 * gone from 2.36 on. Glance does the visibility and policy checks; this
 * module translates the old filters and the old view.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, BadRequest, Forbidden, NotFound } from '../../errors.js';
import type { AuthContext } from '../../http/auth.js';
import type { ImageClient, ImageInfo } from '../clients.js';
import type { ComputeApiDeps } from './deps.js';
import { MAX_PROXY_API_SUPPORT_VERSION, lastQueryValue, requireAtMost } from './proxy-versions.js';
import { linkBase, nextLinks, type LinkBase } from './views/flavors.js';
import { imageBrief, imageDetail } from './views/images.js';

const UUID_LIKE = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;
/** Glance's list parameters: a property filter named like one of them would change the query's meaning. */
const GLANCE_LIST_WORDS = new Set([
  'limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'member_status', 'visibility', 'tag', 'os_hidden', 'protected',
  'size_min', 'size_max', 'changes-since', 'created_at', 'updated_at', 'id', 'name', 'status', 'owner', 'min_ram', 'min_disk',
  'checksum', 'os_hash_value', 'os_hash_algo', 'container_format', 'disk_format',
]);
/** Glance's own page ceiling: an unbounded Nova list is read in pages of this size. */
const GLANCE_PAGE = 1000;
const MAX_PAGES = 100;

/** An image the caller cannot see or that does not exist, in Nova's words. */
export async function loadImage(images: ImageClient, id: string, auth: AuthContext): Promise<ImageInfo> {
  if (!UUID_LIKE.test(id)) throw new NotFound('Image not found.');
  try {
    return await images.getImage(id, auth);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw new NotFound('Image not found.');
    throw err;
  }
}

/** Nova's filter names mapped to Glance v2's query (nova/api/openstack/compute/images.py and glance.py). */
function glanceQuery(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  const query = (request.query ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(query)) {
    const value = lastQueryValue(request, key);
    if (value === undefined) continue;
    switch (key) {
      case 'name': out.name = value; break;
      case 'status': out.status = value.toLowerCase(); break;
      case 'changes-since': {
        if (Number.isNaN(Date.parse(value))) throw new BadRequest(`Invalid changes-since value: ${value}`);
        out.updated_at = `gte:${value}`;
        break;
      }
      case 'server': out.instance_uuid = value.slice(value.lastIndexOf('/') + 1); break;
      case 'type': out.image_type = value; break;
      case 'minRam': out.min_ram = value; break;
      case 'minDisk': out.min_disk = value; break;
      default:
        if (key.startsWith('property-') && key.length > 'property-'.length && !GLANCE_LIST_WORDS.has(key.slice(9))) {
          out[key.slice(9)] = value;
        }
    }
  }
  return out;
}

function pageParams(request: FastifyRequest): { limit?: number; marker?: string } {
  const out: { limit?: number; marker?: string } = {};
  const limit = lastQueryValue(request, 'limit');
  if (limit !== undefined) {
    if (!/^-?\d+$/.test(limit.trim())) throw new BadRequest('limit param must be an integer');
    const n = Number(limit);
    if (n < 0) throw new BadRequest('limit param must be positive');
    out.limit = Math.min(n, GLANCE_PAGE);
  }
  const marker = lastQueryValue(request, 'marker');
  if (marker !== undefined) {
    if (!UUID_LIKE.test(marker)) throw new BadRequest(`marker [${marker}] not found`);
    out.marker = marker;
  }
  return out;
}

async function listAll(images: ImageClient, request: FastifyRequest): Promise<ImageInfo[]> {
  const filters = glanceQuery(request);
  const page = pageParams(request);
  if (page.limit !== undefined) {
    const res = await images.listImages({ ...filters, limit: String(page.limit), ...(page.marker ? { marker: page.marker } : {}) }, request.auth);
    return res.images;
  }
  const out: ImageInfo[] = [];
  let marker = page.marker;
  for (let i = 0; i < MAX_PAGES; i++) {
    const res = await images.listImages({ ...filters, limit: String(GLANCE_PAGE), ...(marker ? { marker } : {}) }, request.auth);
    out.push(...res.images);
    if (!res.nextMarker) break;
    marker = res.nextMarker;
  }
  return out;
}

export function glanceBase(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}/image`;
}

export function registerImageRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { images, conf } = deps;
  const versionPrefix = app.prefix;

  const list = async (request: FastifyRequest, detail: boolean) => {
    requireAtMost(request, MAX_PROXY_API_SUPPORT_VERSION);
    const all = await listAll(images, request);
    const base: LinkBase = linkBase(request, versionPrefix);
    const glance = glanceBase(request);
    const body: Record<string, unknown> = { images: all.map((i) => (detail ? imageDetail(base, glance, i) : imageBrief(base, glance, i))) };
    const links = nextLinks(request, base, detail ? 'images/detail' : 'images', all.length, all.at(-1)?.id, conf.api.max_limit);
    if (links.length > 0) body.images_links = links;
    return body;
  };

  app.get('/images', async (request) => list(request, false));
  app.get('/images/detail', async (request) => list(request, true));

  app.get<{ Params: { id: string } }>('/images/:id', async (request) => {
    requireAtMost(request, MAX_PROXY_API_SUPPORT_VERSION);
    const image = await loadImage(images, request.params.id, request.auth);
    return { image: imageDetail(linkBase(request, versionPrefix), glanceBase(request), image) };
  });

  app.delete<{ Params: { id: string } }>('/images/:id', async (request, reply) => {
    requireAtMost(request, MAX_PROXY_API_SUPPORT_VERSION);
    await loadImage(images, request.params.id, request.auth);
    try {
      await images.deleteImage(request.params.id, request.auth);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) throw new NotFound('Image not found.');
      if (err instanceof ApiError && err.status === 403) throw new Forbidden('You are not allowed to delete the image.');
      throw err;
    }
    return reply.code(204).send();
  });
}
