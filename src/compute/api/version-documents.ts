/**
 * The compute version documents: GET / (all versions) and GET /v2.1 (this
 * version), public, which keystoneauth and openstacksdk read to learn the
 * microversion range before anything else.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeApiDeps } from './deps.js';
import { COMPUTE_API_VERSIONS } from './versions.js';

const DESCRIBED_BY = { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' };

interface VersionInfo {
  id: string;
  status: string;
  version: string;
  min_version: string;
  updated: string;
  path: string;
  mediaType: string;
}

const VERSIONS: VersionInfo[] = [
  {
    id: 'v2.0', status: 'SUPPORTED', version: '', min_version: '', updated: '2011-01-21T11:33:21Z',
    path: 'v2', mediaType: 'application/vnd.openstack.compute+json;version=2',
  },
  {
    id: 'v2.1', status: 'CURRENT', version: COMPUTE_API_VERSIONS.max, min_version: COMPUTE_API_VERSIONS.min,
    updated: '2013-07-23T11:33:21Z', path: 'v2.1', mediaType: 'application/vnd.openstack.compute+json;version=2.1',
  },
];

function rootUrl(request: FastifyRequest, prefix: string): string {
  return `${request.protocol}://${request.host}${prefix.replace(/\/+$/, '')}`;
}

export function registerVersionRoutes(app: FastifyInstance, _deps: ComputeApiDeps): void {
  const prefix = app.prefix;

  app.get('/', { config: { public: true } }, async (request) => {
    const root = rootUrl(request, prefix);
    return {
      versions: VERSIONS.map((v) => ({
        id: v.id,
        status: v.status,
        version: v.version,
        min_version: v.min_version,
        updated: v.updated,
        links: [{ rel: 'self', href: `${root}/${v.path}/` }],
      })),
    };
  });

  // The legacy v2.0 document too: clients (Tempest among them) follow every link of GET /.
  for (const v of VERSIONS) app.get(`/${v.path}`, { config: { public: true } }, async (request) => {
    const root = rootUrl(request, prefix);
    return {
      version: {
        id: v.id,
        status: v.status,
        version: v.version,
        min_version: v.min_version,
        updated: v.updated,
        links: [{ rel: 'self', href: `${root}/${v.path}/` }, DESCRIBED_BY],
        'media-types': [{ base: 'application/json', type: v.mediaType }],
      },
    };
  });
}
