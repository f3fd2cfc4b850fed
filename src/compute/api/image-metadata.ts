/**
 * /images/{id}/metadata: Nova's proxy to an image's extra properties, gone
 * from 2.39 on. Each write reads the properties, changes them and writes the
 * whole set back, as Nova does against Glance.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, BadRequest, Forbidden, NotFound } from '../../errors.js';
import { validate } from '../../http/validation.js';
import type { ComputeApiDeps } from './deps.js';
import { loadImage } from './images.js';
import { MAX_IMAGE_META_PROXY_API_VERSION, requireAtMost } from './proxy-versions.js';
import { imageMetadataCreate, imageMetadataUpdate } from './schemas/image-metadata.js';
import { imageProperties } from './views/images.js';

type P = { Params: { imageId: string; key?: string } };

export function registerImageMetadataRoutes(app: FastifyInstance, deps: ComputeApiDeps): void {
  const { images, conf } = deps;

  const current = async (request: FastifyRequest<P>) => {
    requireAtMost(request, MAX_IMAGE_META_PROXY_API_VERSION);
    return imageProperties(await loadImage(images, request.params.imageId, request.auth));
  };

  const write = async (request: FastifyRequest<P>, next: Record<string, string>) => {
    const limit = conf.quota.metadata_items;
    if (limit >= 0 && Object.keys(next).length > limit) throw new Forbidden('Image metadata limit exceeded');
    try {
      return imageProperties(await images.replaceImageProperties(request.params.imageId, next, request.auth));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) throw new NotFound('Image not found.');
      if (err instanceof ApiError && err.status === 413) throw new Forbidden('Image metadata limit exceeded');
      throw err;
    }
  };

  app.get<P>('/images/:imageId/metadata', async (request) => ({ metadata: await current(request) }));

  app.post<P>('/images/:imageId/metadata', async (request) => {
    requireAtMost(request, MAX_IMAGE_META_PROXY_API_VERSION);
    validate(imageMetadataCreate, request.body);
    const merged = { ...(await current(request)), ...(request.body as { metadata: Record<string, string> }).metadata };
    return { metadata: await write(request, merged) };
  });

  app.put<P>('/images/:imageId/metadata', async (request) => {
    requireAtMost(request, MAX_IMAGE_META_PROXY_API_VERSION);
    validate(imageMetadataCreate, request.body);
    await current(request);
    const next = (request.body as { metadata: Record<string, string> }).metadata;
    await write(request, next);
    return { metadata: next };
  });

  app.get<P>('/images/:imageId/metadata/:key', async (request) => {
    const md = await current(request);
    const key = request.params.key as string;
    if (!Object.hasOwn(md, key)) throw new NotFound('Metadata item was not found');
    return { meta: { [key]: md[key] } };
  });

  app.put<P>('/images/:imageId/metadata/:key', async (request) => {
    requireAtMost(request, MAX_IMAGE_META_PROXY_API_VERSION);
    validate(imageMetadataUpdate, request.body);
    const key = request.params.key as string;
    const meta = (request.body as { meta: Record<string, string> }).meta;
    if (!Object.hasOwn(meta, key)) throw new BadRequest('Request body and URI mismatch');
    await write(request, { ...(await current(request)), [key]: meta[key] });
    return { meta: { [key]: meta[key] } };
  });

  app.delete<P>('/images/:imageId/metadata/:key', async (request, reply) => {
    const md = await current(request);
    const key = request.params.key as string;
    if (!Object.hasOwn(md, key)) throw new NotFound('Invalid metadata key');
    const next = { ...md };
    delete next[key];
    await write(request, next);
    return reply.code(204).send();
  });
}
