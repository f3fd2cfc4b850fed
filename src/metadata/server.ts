/**
 * The metadata API's own HTTP server (Nova runs it as nova-api-metadata on
 * port 8775, apart from the compute API): a bare Fastify instance, since
 * none of the OpenStack API conventions (tokens, fault bodies, request ids
 * in JSON) apply to what a guest reads.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ComputeDb } from '../compute/db/tables.js';
import { getPassword, setPasswordOnce } from '../compute/server-password.js';
import { newRequestId } from '../bus/context.js';
import { metadataApi, type MetadataApiOptions } from './api.js';
import { loadInstanceMetadata } from './instance-source.js';

export interface MetadataServer {
  http: FastifyInstance;
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface MetadataServerOptions extends MetadataApiOptions {
  /** [DEFAULT] metadata_listen */
  host: string;
  /** [DEFAULT] metadata_listen_port; 0 picks a free one */
  port: number;
}

export async function startMetadataServer(opts: MetadataServerOptions): Promise<MetadataServer> {
  const http = Fastify({
    loggerInstance: opts.logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    genReqId: () => newRequestId(),
  });
  metadataApi(http, opts);
  try {
    await http.listen({ host: opts.host, port: opts.port });
  } catch (err) {
    await http.close();
    throw err;
  }
  const address = http.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return { http, url: `http://${host}:${port}`, port, close: () => http.close() };
}

/** What the API reads from the compute database: the instance, and its password in system metadata. */
export function databaseMetadataSources(db: ComputeDb): Pick<MetadataApiOptions, 'loadInstance' | 'passwords'> {
  return {
    loadInstance: (uuid) => loadInstanceMetadata(db, uuid),
    passwords: { get: (uuid) => getPassword(db, uuid), setOnce: (uuid, password) => setPasswordOnce(db, uuid, password) },
  };
}
