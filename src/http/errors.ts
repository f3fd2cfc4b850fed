/**
 * Errors of the catalog (src/errors.ts), and anything else a handler throws,
 * turned into the fault body each OpenStack service uses.
 */
import { ApiError, BadMediaType, BadRequest, NotFound, PayloadTooLarge } from '../errors.js';

export type FaultStyle = 'compute' | 'identity' | 'image' | 'network' | 'placement';

const COMPUTE_FAULT_NAMES: Record<number, string> = {
  400: 'badRequest', 401: 'unauthorized', 403: 'forbidden', 404: 'itemNotFound',
  405: 'badMethod', 409: 'conflictingRequest', 413: 'overLimit', 415: 'badMediaType',
  429: 'overLimit', 501: 'notImplemented', 503: 'serviceUnavailable',
};

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 406: 'Not Acceptable', 409: 'Conflict', 413: 'Request Entity Too Large',
  415: 'Unsupported Media Type', 429: 'Too Many Requests', 500: 'Internal Server Error',
  501: 'Not Implemented', 503: 'Service Unavailable',
};

const NEUTRON_TYPES: Record<number, string> = {
  400: 'HTTPBadRequest', 401: 'HTTPUnauthorized', 403: 'HTTPForbidden', 404: 'HTTPNotFound',
  405: 'HTTPMethodNotAllowed', 409: 'HTTPConflict', 413: 'HTTPRequestEntityTooLarge',
  415: 'HTTPUnsupportedMediaType', 500: 'HTTPInternalServerError',
};

export const INTERNAL_ERROR_MESSAGE =
  'Unexpected API Error. Please report this at the Kilonova issue tracker and attach the request id if possible.';

export function statusTitle(status: number): string {
  return STATUS_TITLES[status] ?? 'Error';
}

/** The response body a service of the given style sends for an error. */
export function renderFault(style: FaultStyle, err: ApiError, requestId?: string): unknown {
  const { status, message } = err;
  switch (style) {
    case 'compute': {
      const name = COMPUTE_FAULT_NAMES[status] ?? 'computeFault';
      const body: Record<string, unknown> = { code: status, message };
      if (status === 413 || status === 429) body.retryAfter = String(err.retryAfter ?? 0);
      return { [name]: body };
    }
    case 'identity':
      return { error: { code: status, message, title: statusTitle(status) } };
    case 'image':
      return { code: `${status} ${statusTitle(status)}`, title: statusTitle(status), message };
    case 'network':
      return { NeutronError: { type: err.type ?? NEUTRON_TYPES[status] ?? 'HTTPError', message, detail: '' } };
    case 'placement':
      return {
        errors: [{
          status, title: statusTitle(status), detail: message,
          code: err.type ?? 'placement.undefined_code', request_id: requestId,
        }],
      };
  }
}

/**
 * Turn anything thrown in a handler into an ApiError. Fastify's own errors (bad
 * JSON, schema validation, media type, body size) become 4xx with a clean
 * message; anything else is a 500 whose message says nothing about internals.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as { statusCode?: number; code?: string; message?: string; validation?: unknown; validationContext?: string };
  if (e && typeof e === 'object') {
    if (e.validation) return new BadRequest(`Invalid input for field/attribute ${validationSummary(e)}`);
    switch (e.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return new BadRequest('Malformed request body');
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return new BadMediaType('Unsupported Content-Type');
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return new PayloadTooLarge();
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return new BadRequest('Request body size did not match Content-Length');
      case 'FST_ERR_BAD_URL':
        return new BadRequest('The request URL is malformed.');
      case 'FST_ERR_MAX_PARAM_LENGTH':
        // No id or name is that long, so nothing by it exists.
        return new NotFound('The resource could not be found.');
    }
    if (e instanceof SyntaxError) return new BadRequest('Malformed request body');
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return new ApiError(e.statusCode, statusTitle(e.statusCode));
    }
  }
  return new ApiError(500, INTERNAL_ERROR_MESSAGE);
}

function validationSummary(e: { message?: string; validationContext?: string }): string {
  // ajv's messages name the field and the rule (e.g. "body/server/name must be string"),
  // which is what Nova's "Invalid input for field/attribute" messages carry too.
  const msg = (e.message ?? '').replace(/^(body|querystring|params|headers)\/?/, '');
  return msg.length > 0 ? msg : 'request';
}
