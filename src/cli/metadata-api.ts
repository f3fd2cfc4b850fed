/**
 * The metadata API in the process that serves the compute API, when
 * [DEFAULT] enabled_apis lists it. Like the console proxies, it is a service
 * of its own in Nova: a port in use does not stop the cloud, the operator is
 * told and guests get no metadata until it runs.
 */
import type { Logger } from 'pino';
import type { Config } from '../conf/options.js';
import type { ComputeDb } from '../compute/db/tables.js';
import { databaseMetadataSources, startMetadataServer } from '../metadata/server.js';

export interface RunningMetadataApi {
  /** One line for the start-up message. */
  note: string;
  /** The port it listens on, when it runs. */
  port?: number;
  close(): Promise<void>;
}

export async function startMetadataApi(conf: Config, db: ComputeDb, logger: Logger): Promise<RunningMetadataApi> {
  const idle = (note: string): RunningMetadataApi => ({ note, close: async () => {} });
  if (!conf.DEFAULT.enabled_apis.includes('metadata')) return idle('metadata API: not enabled ([DEFAULT] enabled_apis)');
  if (!conf.neutron.service_metadata_proxy) {
    logger.error('the metadata API needs [neutron] service_metadata_proxy = true: identifying guests by source address is not implemented');
    return idle('metadata API: not running ([neutron] service_metadata_proxy = false is not supported)');
  }
  if (!conf.neutron.metadata_proxy_shared_secret) {
    // As Nova warns: anyone who can reach the port can sign with the empty secret.
    logger.warn('[neutron] metadata_proxy_shared_secret is not set: the metadata API trusts any caller that can reach it');
  }
  const host = conf.DEFAULT.metadata_listen;
  const port = conf.DEFAULT.metadata_listen_port;
  try {
    const server = await startMetadataServer({
      host, port, sharedSecret: conf.neutron.metadata_proxy_shared_secret, ...databaseMetadataSources(db),
      logger: logger.child({ service: 'metadata-api' }),
    });
    return { note: `metadata API: ${server.url}`, port: server.port, close: () => server.close() };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EADDRINUSE' ? `${host}:${port} is in use` : e.code === 'EADDRNOTAVAIL' ? `${host} is not an address of this host` : e.message;
    logger.error({ host, port, code: e.code }, 'metadata API not started');
    return idle(`metadata API: not running (${why})`);
  }
}
