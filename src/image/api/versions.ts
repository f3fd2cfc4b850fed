/**
 * Glance's version document. keystoneauth and openstacksdk fetch it from the
 * catalog endpoint to find the v2 API, so the links must be absolute and point
 * at this deployment's own /image/v2/.
 */
import type { FastifyRequest } from 'fastify';

/** v2.x minor versions Glance lists without an image cache or multiple stores; the first is CURRENT. */
const VERSIONS = ['2.17', '2.15', '2.9', '2.7', '2.6', '2.5', '2.4', '2.3', '2.2', '2.1', '2.0'];

/** scheme://host[:port] as the client reached us. */
export function requestBase(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

export function versionsDocument(serviceRoot: string): { versions: unknown[] } {
  const href = `${serviceRoot.replace(/\/+$/, '')}/v2/`;
  return {
    versions: VERSIONS.map((v, i) => ({
      id: `v${v}`,
      status: i === 0 ? 'CURRENT' : 'SUPPORTED',
      links: [{ rel: 'self', href }],
    })),
  };
}
