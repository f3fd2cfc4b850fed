/**
 * What every service's HTTP scope shares: its own error body style, its own 404
 * for unknown paths, and token authentication for routes not marked public.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, Unauthorized } from '../errors.js';
import { renderFault, toApiError, type FaultStyle } from './errors.js';
import type { TokenValidator } from './auth.js';

export interface ServiceScopeOptions {
  style: FaultStyle;
  /** When given, every route not marked config.public needs a valid X-Auth-Token. */
  tokens?: TokenValidator;
}

/**
 * Which fault style answers under which path prefix, per HTTP server (keyed by
 * the node server every scope of one Fastify tree shares): errors raised before
 * any route matched (a malformed URL, a path no service has) are still answered
 * in the style of the service whose prefix the path names.
 */
const prefixStyles = new WeakMap<object, Array<{ prefix: string; style: FaultStyle }>>();

export function faultStyleForUrl(app: FastifyInstance, url: string): FaultStyle {
  const path = url.split('?', 1)[0];
  let best: { prefix: string; style: FaultStyle } | undefined;
  for (const entry of prefixStyles.get(app.server) ?? []) {
    const under = path === entry.prefix || path.startsWith(`${entry.prefix}/`);
    if (under && (!best || entry.prefix.length > best.prefix.length)) best = entry;
  }
  // Outside every service: the compute API's fault, the body most clients of this cloud parse.
  return best?.style ?? 'compute';
}

export function applyServiceScope(app: FastifyInstance, opts: ServiceScopeOptions): void {
  let styles = prefixStyles.get(app.server);
  if (!styles) prefixStyles.set(app.server, (styles = []));
  styles.push({ prefix: app.prefix, style: opts.style });
  app.setErrorHandler((err, request, reply) => sendFault(opts.style, err, request, reply));
  app.setNotFoundHandler((request, reply) => {
    sendFault(opts.style, new ApiError(404, 'The resource could not be found.'), request, reply);
  });
  const tokens = opts.tokens;
  if (tokens) {
    app.addHook('onRequest', async (request) => {
      if (request.routeOptions.config?.public) return;
      const token = request.headers['x-auth-token'];
      if (typeof token !== 'string' || token.length === 0) throw new Unauthorized();
      const auth = await tokens.validateToken(token);
      if (!auth) throw new Unauthorized();
      request.auth = auth;
    });
  }
}

export function sendFault(style: FaultStyle, err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const apiError = toApiError(err);
  if (apiError.status >= 500) request.log.error({ err }, 'unexpected error in request');
  else request.log.debug({ status: apiError.status, message: apiError.message }, 'request refused');
  if (apiError.status === 401 && style !== 'network') {
    reply.header('www-authenticate', 'Keystone uri="/identity"');
  }
  return reply
    .code(apiError.status)
    .type('application/json')
    .send(renderFault(style, apiError, String(request.id)));
}
