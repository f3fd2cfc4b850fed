import type { FastifyRequest } from 'fastify';

/** The URL clients reached us at (scheme://host:port), for links in responses. */
export function publicBase(request: FastifyRequest): string {
  const host = request.headers['x-forwarded-host'] ?? request.headers.host ?? 'localhost';
  const proto = request.headers['x-forwarded-proto'] ?? request.protocol;
  return `${proto}://${host}`;
}
