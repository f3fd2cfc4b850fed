/**
 * A failed answer of the image, network or placement service turned into the
 * error of the catalog (src/errors.ts) that service raises in-process, so a
 * caller cannot tell which client it has. Only the service's own message
 * field is kept, and only when it reads as a message; the raw body never
 * reaches a fault.
 */
import {
  ApiError, BadMediaType, BadRequest, Conflict, Forbidden, NotFound, NotImplementedError, PayloadTooLarge, ServiceUnavailable, Unauthorized,
} from '../../errors.js';
import type { ServiceResponse } from './http-transport.js';

type Service = 'image' | 'network' | 'placement';

const SERVICE_NAMES: Record<Service, string> = { image: 'image', network: 'network', placement: 'placement' };

/** Longer than any message the services write; a longer text is not a message. */
const MAX_MESSAGE = 1000;

/** A remote 5xx: the remote service's bug, shown to users as the generic internal error. */
export class RemoteServiceFailure extends Error {
  constructor(service: Service, readonly status: number) {
    super(`the ${SERVICE_NAMES[service]} service answered HTTP ${status}`);
    this.name = 'RemoteServiceFailure';
  }
}

function safeText(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  // Markup or a traceback is not a message a user should read.
  if (t === '' || t.length > MAX_MESSAGE || /[<>]|Traceback/.test(t)) return undefined;
  return t;
}

/** The message (and Neutron's type / placement's code) from each service's fault body. */
function messageOf(service: Service, body: unknown): { message?: string; type?: string } {
  if (!body || typeof body !== 'object') return {};
  const b = body as Record<string, any>;
  switch (service) {
    case 'network': {
      const e = b.NeutronError;
      return e && typeof e === 'object' ? { message: safeText(e.message), type: safeText(e.type) } : {};
    }
    case 'placement': {
      const e = Array.isArray(b.errors) ? b.errors[0] : undefined;
      return e && typeof e === 'object' ? { message: safeText(e.detail), type: safeText(e.code) } : {};
    }
    case 'image':
      return { message: safeText(b.message) };
  }
}

export async function remoteFault(res: ServiceResponse, service: Service): Promise<Error> {
  const text = await res.text().catch(() => '');
  if (res.status >= 500 && res.status !== 501 && res.status !== 503) return new RemoteServiceFailure(service, res.status);
  let body: unknown;
  try { body = JSON.parse(text); } catch { body = undefined; }
  const { message: given, type } = messageOf(service, body);
  // Without a message of its own, a fault says only what failed (a compute host loads nothing of src/http).
  const message = given ?? `The ${SERVICE_NAMES[service]} service answered HTTP ${res.status}.`;
  const opts = type !== undefined ? { type } : {};
  switch (res.status) {
    case 400: return new BadRequest(message, opts);
    case 401: return new Unauthorized(message);
    case 403: return new Forbidden(message, opts);
    case 404: return new NotFound(message, opts);
    case 409: return new Conflict(message, opts);
    case 413: return new PayloadTooLarge(message);
    case 415: return new BadMediaType(message);
    case 501: return new NotImplementedError(message);
    case 503: return new ServiceUnavailable(message);
    default: return new ApiError(res.status, message, opts);
  }
}
