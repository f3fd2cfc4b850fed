import type { Logger } from 'pino';
import type { Config } from '../../conf/options.js';
import type { TokenValidator } from '../../http/auth.js';
import type { APIVersion } from '../../http/microversion.js';
import type { Authorizer } from '../../policy/types.js';
import type { ComputeAPI } from '../api.js';
import type { ComputeDb } from '../db/tables.js';
import type { ImageClient, NetworkClient } from '../clients.js';

/** What the compute API's route modules are given. */
export interface ComputeApiDeps {
  db: ComputeDb;
  conf: Config;
  policy: Authorizer;
  tokens: TokenValidator;
  computeApi: ComputeAPI;
  logger: Logger;
  /** The image and network services, for the proxy resources (/images, os-security-groups, os-networks). */
  images: ImageClient;
  network: NetworkClient;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The negotiated compute microversion. */
    apiVersion: APIVersion;
  }
}
