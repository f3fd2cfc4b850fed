/**
 * The root Fastify instance every service's routes hang off. It owns what is
 * the same for all of them: request ids (req-<uuid>, echoed in
 * x-openstack-request-id), the logger, body limits and parsing, and the
 * fault answered for a request no service's route takes.
 */
import { newRequestId } from '../bus/context.js';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { recordRoutes } from './route-table.js';
import { installJsonBodyParser } from './json-body.js';
import { faultStyleForUrl, sendFault } from './service-scope.js';
import { BadRequest, NotFound } from '../errors.js';

export interface HttpServerOptions {
  logger: Logger;
  /** Largest request body accepted by default (image uploads raise their own). */
  bodyLimit?: number;
}

export function createHttpServer(opts: HttpServerOptions): FastifyInstance {
  // Typed here: the framework-error handler below refers back to the instance.
  const app: FastifyInstance = Fastify({
    loggerInstance: opts.logger as unknown as FastifyBaseLogger,
    // Each service logs what matters itself; a line per request would cost more than the request.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    genReqId: () => newRequestId(),
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    routerOptions: { maxParamLength: 500, ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    // A URL the router cannot take (bad percent-encoding, an over-long path
    // parameter) is answered like any other refusal, in its service's fault body.
    frameworkErrors: (err, request, reply) => sendFault(faultStyleForUrl(app, request.url), err, request, reply),
    ajv: {
      customOptions: {
        // Nova's schemas reject unknown properties where they say so; coercion
        // would let "1" pass as 1 in bodies, which Nova refuses.
        coerceTypes: false,
        removeAdditional: false,
        useDefaults: true,
        allErrors: false,
      },
    },
  });
  recordRoutes(app);
  installJsonBodyParser(app);
  app.setErrorHandler((err, request, reply) => sendFault(faultStyleForUrl(app, request.url), err, request, reply));
  app.setNotFoundHandler((request, reply) => sendFault(faultStyleForUrl(app, request.url), new NotFound('The resource could not be found.'), request, reply));
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-openstack-request-id', request.id);
    // A NUL in an id, a name filter or any other part of the URL matches nothing,
    // and PostgreSQL would refuse it as text: answered before any lookup.
    if (request.url.includes('%00')) throw new BadRequest('NUL characters are not accepted in the URL.');
  });
  return app;
}
