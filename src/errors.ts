/**
 * The one catalog of errors that services, stores and controllers throw. Each
 * carries the HTTP status Nova (or Keystone, Glance, Neutron, Placement) answers
 * with for it; only src/http turns one into a service's fault body, so nothing
 * below HTTP knows how a fault is spelled, and a fault never carries raw
 * exception text or a stack trace.
 */

export class ApiError extends Error {
  /** Neutron's error "type" (e.g. NetworkNotFound); placement's error code. */
  readonly type?: string;
  readonly retryAfter?: number;
  constructor(readonly status: number, message: string, opts: { type?: string; retryAfter?: number } = {}) {
    super(message);
    this.name = new.target.name;
    this.type = opts.type;
    this.retryAfter = opts.retryAfter;
  }
}

export class BadRequest extends ApiError {
  constructor(message: string, opts: { type?: string } = {}) { super(400, message, opts); }
}
export class Unauthorized extends ApiError {
  constructor(message = 'The request you have made requires authentication.') { super(401, message); }
}
export class Forbidden extends ApiError {
  constructor(message: string, opts: { type?: string } = {}) { super(403, message, opts); }
}
/** An action the policy does not allow: Nova's PolicyNotAuthorized. */
export class PolicyNotAuthorized extends Forbidden {
  constructor(readonly action: string) { super(`Policy doesn't allow ${action} to be performed.`, { type: 'PolicyNotAuthorized' }); }
}
export class NotFound extends ApiError {
  constructor(message: string, opts: { type?: string } = {}) { super(404, message, opts); }
}
export class BadMethod extends ApiError {
  constructor(message = 'The method is not allowed for the requested URL.') { super(405, message); }
}
export class NotAcceptable extends ApiError {
  constructor(message: string) { super(406, message); }
}
export class Conflict extends ApiError {
  constructor(message: string, opts: { type?: string } = {}) { super(409, message, opts); }
}
export class PayloadTooLarge extends ApiError {
  constructor(message = 'Request is too large.') { super(413, message); }
}
export class OverLimit extends ApiError {
  constructor(message: string, retryAfter = 0) { super(413, message, { retryAfter }); }
}
export class BadMediaType extends ApiError {
  constructor(message: string) { super(415, message); }
}
export class NotImplementedError extends ApiError {
  constructor(message = 'The requested functionality is not implemented.') { super(501, message); }
}
export class ServiceUnavailable extends ApiError {
  constructor(message: string) { super(503, message); }
}
/** A quota check failed: Nova answers 403 with the over-quota resource named. */
export class QuotaExceeded extends Forbidden {
  constructor(message: string) { super(message, { type: 'OverQuota' }); }
}
