import type { Logger } from 'pino';
import type { Config } from '../conf/options.js';
import { MemoryTransport } from './memory/transport.js';
import { RabbitTransport } from './rabbit/transport.js';
import { rabbitOptionsFromConf } from './rabbit/options.js';
import { InvalidRabbitUrl, describeRabbitUrl, parseRabbitUrl } from './rabbit/url.js';
import type { Transport } from './transport.js';

export class UnsupportedTransportUrl extends Error {}

/**
 * The URL's scheme only: a transport URL carries credentials, and a password
 * may itself contain '@' or '/', so no pattern reliably masks the rest.
 */
function schemeOf(url: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url);
  return m ? `${m[1]}://` : '(no scheme)';
}

/** The transport URL as it may be printed or logged: never its password. */
export function describeTransportUrl(url: string): string {
  if (url.startsWith('memory:')) return url;
  if (url.startsWith('rabbit:')) {
    try {
      return describeRabbitUrl(parseRabbitUrl(url));
    } catch {
      return 'rabbit://(unreadable URL)';
    }
  }
  return `${schemeOf(url)}...`;
}

export interface OpenTransportOptions {
  /** [DEFAULT] control_exchange and [oslo_messaging_rabbit]; defaults without it. */
  conf?: Config;
  logger?: Logger;
}

/**
 * One transport per process. memory:// is the process's own bus; rabbit://
 * starts connecting at once and its operations wait for the connection.
 */
export function openTransport(url: string, opts: OpenTransportOptions = {}): Transport {
  if (url.startsWith('memory:')) return new MemoryTransport(url);
  if (url.startsWith('rabbit:')) {
    try {
      return new RabbitTransport(url, opts.conf ? rabbitOptionsFromConf(opts.conf, opts.logger) : { logger: opts.logger });
    } catch (err) {
      if (err instanceof InvalidRabbitUrl) throw new UnsupportedTransportUrl(err.message);
      throw err;
    }
  }
  throw new UnsupportedTransportUrl(`transport_url ${schemeOf(url)}...: unsupported scheme (use memory:// or rabbit://)`);
}
