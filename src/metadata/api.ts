/**
 * Nova's metadata API (nova-api-metadata) as it runs behind Neutron's
 * metadata proxy ([neutron] service_metadata_proxy = true): the proxy names
 * the instance in X-Instance-ID and X-Tenant-ID and proves it with
 * X-Instance-ID-Signature; the answer is that instance's EC2 or OpenStack
 * metadata. Errors are plain text as webob writes them, with Nova's codes:
 * 400 for a missing or doubled header, 403 for a bad signature, 404 for an
 * unknown instance, a project that is not the instance's, or an unknown path.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { instanceSignatureValid } from './signature.js';
import { lookupMetadata, normalizeMetadataPath, rootListing, type MetadataData, type TreeOptions } from './tree.js';
import { errorPage, TEXT_PLAIN, UNKNOWN_ERROR } from './error-page.js';
import type { InstanceMetadataRecord } from './instance-source.js';

/** Where the server password lives (Nova's system metadata); the guest may set it once. */
export interface PasswordStore {
  get(instanceUuid: string): Promise<string>;
  /** false when a password is set already. */
  setOnce(instanceUuid: string, password: string): Promise<boolean>;
}

export interface MetadataApiOptions {
  /** [neutron] metadata_proxy_shared_secret */
  sharedSecret: string;
  loadInstance(uuid: string): Promise<InstanceMetadataRecord | null>;
  passwords: PasswordStore;
  tree?: Pick<TreeOptions, 'dhcpDomain'>;
  logger: Logger;
}

/** Nova's password handler refuses more than four 255-character chunks. */
export const MAX_PASSWORD_BYTES = 4 * 255;

/** webob's plain-text error page, as Nova's handler answers every refusal. */
export function metadataFault(reply: FastifyReply, status: number, explanation?: string): FastifyReply {
  const page = errorPage(status, explanation);
  return reply.code(page.status).header('content-type', TEXT_PLAIN).send(page.body);
}

class MetadataRefusal extends Error {
  constructor(readonly status: number, message?: string) {
    super(message);
  }
}

/** How many times a header came, which Node's joined value hides. */
function headerCount(request: FastifyRequest, name: string): number {
  const raw = request.raw.rawHeaders;
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name) n++;
  return n;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** The request's path as webob's path_info: without the query, percent-decoded. */
function pathInfo(request: FastifyRequest): string {
  const url = request.raw.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  try {
    return decodeURIComponent(rawPath);
  } catch {
    throw new MetadataRefusal(404);
  }
}

export function metadataApi(app: FastifyInstance, opts: MetadataApiOptions): void {
  const { logger } = opts;

  /** Nova's _handle_instance_id_request: checks in its order, so each refusal has Nova's code. */
  async function identify(request: FastifyRequest): Promise<InstanceMetadataRecord> {
    const instanceId = header(request, 'x-instance-id');
    const tenantId = header(request, 'x-tenant-id');
    const signature = header(request, 'x-instance-id-signature');
    if (instanceId === undefined) throw new MetadataRefusal(400, 'X-Instance-ID header is missing from request.');
    if (signature === undefined) throw new MetadataRefusal(400, 'X-Instance-ID-Signature header is missing from request.');
    if (tenantId === undefined) throw new MetadataRefusal(400, 'X-Tenant-ID header is missing from request.');
    if (headerCount(request, 'x-instance-id') > 1) throw new MetadataRefusal(400, 'Multiple X-Instance-ID headers found within request.');
    if (headerCount(request, 'x-tenant-id') > 1) throw new MetadataRefusal(400, 'Multiple X-Tenant-ID headers found within request.');
    const from = header(request, 'x-forwarded-for');
    if (!instanceSignatureValid(opts.sharedSecret, instanceId, signature)) {
      logger.warn({ instance: instanceId, from }, 'metadata request with an invalid signature');
      throw new MetadataRefusal(403, 'Invalid proxy request signature.');
    }
    const record = await opts.loadInstance(instanceId);
    if (!record) {
      logger.error({ instance: instanceId, from }, 'no metadata for this instance id');
      throw new MetadataRefusal(404);
    }
    if (record.projectId !== tenantId) {
      logger.warn({ instance: instanceId, tenant: tenantId, from }, 'the tenant id does not match the instance\'s project');
      throw new MetadataRefusal(404);
    }
    return record;
  }

  async function password(request: FastifyRequest, reply: FastifyReply, uuid: string): Promise<FastifyReply> {
    if (request.method === 'GET' || request.method === 'HEAD') {
      return reply.code(200).header('content-type', TEXT_PLAIN).send(await opts.passwords.get(uuid));
    }
    if (request.method !== 'POST') throw new MetadataRefusal(400, 'GET and POST only are supported.');
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    if ((await opts.passwords.get(uuid)) !== '') throw new MetadataRefusal(409);
    if (body.length > MAX_PASSWORD_BYTES) throw new MetadataRefusal(400, 'Request is too large.');
    if (!(await opts.passwords.setOnce(uuid, body.toString('utf8')))) throw new MetadataRefusal(409);
    return reply.code(200).header('content-type', TEXT_PLAIN).send('');
  }

  // Bodies arrive only for the password; anything else a guest posts is read as bytes and ignored.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 64 * 1024 }, (_req, body, done) => done(null, body));

  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    url: '*',
    handler: async (request, reply) => {
      try {
        const path = pathInfo(request);
        // Anyone may list the versions; only what lies under them needs to know who asks.
        if (normalizeMetadataPath(path) === '/') return sendAnswer(reply, rootListing());
        const record = await identify(request);
        const answer = lookupMetadata(record.source, path, opts.tree);
        if (answer.kind === 'password') return await password(request, reply, record.source.uuid);
        if (answer.kind === 'not-found') throw new MetadataRefusal(404);
        return sendAnswer(reply, answer);
      } catch (err) {
        if (err instanceof MetadataRefusal) return metadataFault(reply, err.status, err.message || undefined);
        logger.error({ err, path: request.url }, 'metadata request failed');
        return metadataFault(reply, 500, UNKNOWN_ERROR);
      }
    },
  });
  app.setNotFoundHandler((_request, reply) => metadataFault(reply, 404));
  app.setErrorHandler((err: { statusCode?: number }, _request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? 400 : 500;
    return metadataFault(reply, status);
  });
}

function sendAnswer(reply: FastifyReply, answer: MetadataData): FastifyReply {
  return reply.code(200).header('content-type', answer.contentType).send(answer.body);
}
