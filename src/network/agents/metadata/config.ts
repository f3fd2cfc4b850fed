/**
 * The metadata agent's and the proxies' settings from kilonova.conf, read in
 * one place so the agent listens where every namespace's haproxy forwards:
 * [DEFAULT] metadata_proxy_socket (default $state_path/metadata_proxy, as
 * Neutron's), nova_metadata_host/port, [neutron] metadata_proxy_shared_secret.
 */
import path from 'node:path';
import type { Config } from '../../../conf/options.js';

export interface MetadataAgentSettings {
  socketPath: string;
  novaMetadataUrl: string;
  sharedSecret: string;
}

/** `metadataApiPort` overrides nova_metadata_port: the port an all-in-one's metadata API picked when told 0. */
export function metadataAgentSettings(conf: Config, metadataApiPort?: number): MetadataAgentSettings {
  const host = conf.DEFAULT.nova_metadata_host;
  const port = metadataApiPort ?? conf.DEFAULT.nova_metadata_port;
  return {
    socketPath: conf.DEFAULT.metadata_proxy_socket || path.join(path.resolve(conf.DEFAULT.state_path), 'metadata_proxy'),
    novaMetadataUrl: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    sharedSecret: conf.neutron.metadata_proxy_shared_secret,
  };
}

/** Where the proxies' haproxy configs and pid files live (Neutron's ns-metadata-proxy directory). */
export function metadataProxyStateDir(conf: Config): string {
  return path.join(path.resolve(conf.DEFAULT.state_path), 'ns-metadata-proxy');
}
