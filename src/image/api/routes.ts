/**
 * The image API (Glance v2 subset) plugin, registered at /image. Request
 * parsing and response shapes live here; every rule lives in ImageService.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable, Stream } from 'node:stream';
import type { TokenValidator } from '../../http/auth.js';
import { BadMediaType, BadRequest } from '../../errors.js';
import { applyServiceScope } from '../../http/service-scope.js';
import { parseJsonBody } from '../../http/json-body.js';
import type { Authorizer } from '../../policy/types.js';
import { PATCH_MEDIA_TYPES, parseImagePatch, type PatchMediaType } from './patch.js';
import { imageSchema, imagesSchema, memberSchema, membersSchema } from '../schemas.js';
import { glance, validate } from '../../http/validation.js';
import { checkCreateAllowed, checkCreateWritable, imageCreate } from './schemas/images.js';
import { memberCreate, memberCreateDialect, memberUpdate, memberUpdateDialect } from './schemas/members.js';
import type { ImageService } from '../service.js';
import { requestBase, versionsDocument } from './versions.js';

export interface ImageApiOptions {
  images: ImageService;
  /** Policy engine for Glance's rule names; Glance's defaults when absent. */
  policy?: Authorizer;
  /** Validates X-Auth-Token on every route but the version documents. */
  tokens: TokenValidator;
}

type IdParams = { id: string };
type TagParams = { id: string; tag: string };
type MemberParams = { id: string; memberId: string };

function mediaType(request: FastifyRequest): string {
  return String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The query string as sent (repeated keys kept), without `marker`. */
function queryWithoutMarker(request: FastifyRequest): URLSearchParams {
  const q = request.url.indexOf('?');
  const params = new URLSearchParams(q >= 0 ? request.url.slice(q + 1) : '');
  params.delete('marker');
  return params;
}

export async function imageApi(app: FastifyInstance, opts: ImageApiOptions): Promise<void> {
  applyServiceScope(app, { style: 'image', tokens: opts.tokens });
  const images = opts.policy ? opts.images.withPolicy(opts.policy) : opts.images;
  const root = app.prefix;

  // Image data is handed to the handler as the raw request stream: never
  // buffered, and not subject to the server's JSON body limit.
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
  app.addContentTypeParser(Object.keys(PATCH_MEDIA_TYPES), { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch {
      done(new BadRequest('Malformed JSON in request body.'), undefined);
    }
  });

  const versions = (status: number) => async (request: FastifyRequest, reply: FastifyReply) =>
    reply.code(status).send(versionsDocument(`${requestBase(request)}${root}`));
  app.get('/', { config: { public: true } }, versions(300));
  app.get('/versions', { config: { public: true } }, versions(200));
  app.get('/v2', { config: { public: true } }, versions(300));

  app.get('/v2/schemas/image', async () => imageSchema());
  app.get('/v2/schemas/images', async () => imagesSchema());
  app.get('/v2/schemas/member', async () => memberSchema());
  app.get('/v2/schemas/members', async () => membersSchema());

  app.get('/v2/images', async (request) => {
    const result = await images.listImages(request.query as Record<string, string | string[]>, request.auth);
    const params = queryWithoutMarker(request);
    const query = params.toString();
    const body: Record<string, unknown> = {
      images: result.images,
      first: query ? `/v2/images?${query}` : '/v2/images',
      schema: '/v2/schemas/images',
    };
    if (result.nextMarker) {
      params.set('marker', result.nextMarker);
      body.next = `/v2/images?${params.toString()}`;
    }
    return body;
  });

  app.post('/v2/images', async (request, reply) => {
    checkCreateAllowed(request.body);
    validate(imageCreate, request.body, glance);
    const body = request.body as Record<string, unknown>;
    checkCreateWritable(body);
    const image = await images.createImage(body, request.auth);
    return reply.code(201).header('location', `${requestBase(request)}${root}/v2/images/${image.id}`).send(image);
  });

  app.get<{ Params: IdParams }>('/v2/images/:id', async (request) => images.getImage(request.params.id, request.auth));

  app.patch<{ Params: IdParams }>('/v2/images/:id', async (request, reply) => {
    const type = mediaType(request);
    if (!(type in PATCH_MEDIA_TYPES)) {
      reply.header('accept-patch', Object.keys(PATCH_MEDIA_TYPES).sort().join(', '));
      throw new BadMediaType(`Image PATCH expects Content-Type one of: ${Object.keys(PATCH_MEDIA_TYPES).sort().join(', ')}`);
    }
    const changes = parseImagePatch(request.body, type as PatchMediaType);
    return images.updateImage(request.params.id, changes, request.auth);
  });

  app.delete<{ Params: IdParams }>('/v2/images/:id', async (request, reply) => {
    await images.deleteImage(request.params.id, request.auth);
    return reply.code(204).send();
  });

  app.put<{ Params: IdParams }>('/v2/images/:id/file', async (request, reply) => {
    if (mediaType(request) !== 'application/octet-stream') {
      throw new BadMediaType('Image data must be sent as application/octet-stream.');
    }
    const length = request.headers['content-length'];
    // An empty body may reach us unparsed: it is a zero-byte image, as in Glance.
    const data = request.body instanceof Stream ? request.body as Readable : Readable.from([]);
    await images.uploadImageData(request.params.id, data, request.auth,
      length !== undefined && /^\d+$/.test(length) ? { contentLength: Number(length) } : {});
    return reply.code(204).send();
  });

  // HEAD would open the data only to drop it; Glance has no HEAD here either.
  app.get<{ Params: IdParams }>('/v2/images/:id/file', { exposeHeadRoute: false }, async (request, reply) => {
    const download = await images.downloadImageData(request.params.id, request.auth);
    if (!download.data) return reply.code(204).send();
    reply.header('content-type', 'application/octet-stream').header('content-length', String(download.size));
    if (download.image.checksum) reply.header('content-md5', download.image.checksum);
    return reply.code(200).send(download.data);
  });

  const addTag = async (request: FastifyRequest<{ Params: TagParams }>, reply: FastifyReply) => {
    await images.addTag(request.params.id, request.params.tag, request.auth);
    return reply.code(204).send();
  };
  // Glance adds tags with PUT; POST is accepted as well.
  app.put<{ Params: TagParams }>('/v2/images/:id/tags/:tag', addTag);
  app.post<{ Params: TagParams }>('/v2/images/:id/tags/:tag', addTag);
  app.delete<{ Params: TagParams }>('/v2/images/:id/tags/:tag', async (request, reply) => {
    await images.removeTag(request.params.id, request.params.tag, request.auth);
    return reply.code(204).send();
  });

  app.post<{ Params: IdParams }>('/v2/images/:id/actions/deactivate', async (request, reply) => {
    await images.deactivateImage(request.params.id, request.auth);
    return reply.code(204).send();
  });
  app.post<{ Params: IdParams }>('/v2/images/:id/actions/reactivate', async (request, reply) => {
    await images.reactivateImage(request.params.id, request.auth);
    return reply.code(204).send();
  });

  app.get<{ Params: IdParams }>('/v2/images/:id/members', async (request) => ({
    members: await images.members.list(request.params.id, request.auth),
    schema: '/v2/schemas/members',
  }));
  app.post<{ Params: IdParams }>('/v2/images/:id/members', async (request) => {
    validate(memberCreate, request.body, memberCreateDialect);
    return images.members.add(request.params.id, (request.body as { member: string }).member, request.auth);
  });
  app.get<{ Params: MemberParams }>('/v2/images/:id/members/:memberId', async (request) =>
    images.members.get(request.params.id, request.params.memberId, request.auth));
  app.put<{ Params: MemberParams }>('/v2/images/:id/members/:memberId', async (request) => {
    validate(memberUpdate, request.body, memberUpdateDialect);
    return images.members.update(request.params.id, request.params.memberId, (request.body as { status: unknown }).status, request.auth);
  });
  app.delete<{ Params: MemberParams }>('/v2/images/:id/members/:memberId', async (request, reply) => {
    await images.members.remove(request.params.id, request.params.memberId, request.auth);
    return reply.code(204).send();
  });
}
