/**
 * The microversion cut-offs of Nova's proxy APIs: from 2.36 the image,
 * network and security-group proxies answer 404 (clients are to talk to
 * Glance and Neutron), the image metadata proxy from 2.39.
 */
import type { FastifyRequest } from 'fastify';
import { NotFound } from '../../errors.js';

export const MAX_PROXY_API_SUPPORT_VERSION = '2.35';
export const MAX_IMAGE_META_PROXY_API_VERSION = '2.38';

/** Nova's api_version(min, max): past `max` the route does not exist. */
export function requireAtMost(request: FastifyRequest, max: string): void {
  const [major, minor] = max.split('.').map(Number);
  const next = `${major}.${minor + 1}`;
  if (request.apiVersion.atLeast(next)) throw new NotFound('The resource could not be found.');
}

/** The last value of a query parameter given once or repeated. */
export function lastQueryValue(request: FastifyRequest, name: string): string | undefined {
  const query = (request.query ?? {}) as Record<string, unknown>;
  if (!Object.hasOwn(query, name)) return undefined;
  const v = query[name];
  const last = Array.isArray(v) ? v[v.length - 1] : v;
  return typeof last === 'string' ? last : undefined;
}
