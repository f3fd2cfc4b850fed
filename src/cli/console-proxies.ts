/**
 * The all-in-one's console proxies: noVNC's when [vnc] enabled, the serial
 * one when [serial_console] enabled, each on its configured address. A proxy
 * whose port is taken does not stop the cloud (in Nova it is a service of its
 * own): the operator is told, and the consoles' URLs lead nowhere until it runs.
 */
import type { Logger } from 'pino';
import type { Config } from '../conf/options.js';
import type { ComputeDb } from '../compute/db/tables.js';
import { startConsoleProxy, type ConsoleProxy } from '../console/proxy.js';

export interface ConsoleProxies {
  /** The base URLs handed to clients, with the port a proxy picked when its port is 0. */
  novncproxyBaseUrl: string;
  serialBaseUrl: string;
  /** One line per proxy for the start-up message. */
  notes: string[];
  close(): Promise<void>;
}

export async function startConsoleProxies(conf: Config, db: ComputeDb, logger: Logger): Promise<ConsoleProxies> {
  const running: ConsoleProxy[] = [];
  const notes: string[] = [];
  let novncproxyBaseUrl = conf.vnc.novncproxy_base_url;
  let serialBaseUrl = conf.serial_console.base_url;
  const common = { db, allowedOrigins: conf.console.allowed_origins, logger };

  const start = async (label: string, host: string, port: number, baseUrl: string, opts: { name: string; consoleTypes: string[]; web?: string }): Promise<string> => {
    try {
      const proxy = await startConsoleProxy({ ...common, ...opts, host, port });
      running.push(proxy);
      const url = port === 0 ? withPort(baseUrl, proxy.port) : baseUrl;
      notes.push(`${label}: ${url} (listening on ${host}:${proxy.port})`);
      return url;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'EADDRINUSE' ? `${host}:${port} is in use` : e.code === 'EADDRNOTAVAIL' ? `${host} is not an address of this host` : e.message;
      logger.error({ proxy: opts.name, host, port, code: e.code }, 'console proxy not started');
      notes.push(`${label}: not running (${why}); its console URLs lead nowhere`);
      return baseUrl;
    }
  };

  if (conf.vnc.enabled) {
    novncproxyBaseUrl = await start('noVNC proxy', conf.vnc.novncproxy_host, conf.vnc.novncproxy_port, novncproxyBaseUrl, { name: 'novncproxy', consoleTypes: ['novnc'], web: conf.DEFAULT.web });
  }
  if (conf.serial_console.enabled) {
    serialBaseUrl = await start('serial console proxy', conf.serial_console.serialproxy_host, conf.serial_console.serialproxy_port, serialBaseUrl, { name: 'serialproxy', consoleTypes: ['serial'] });
  }
  return {
    novncproxyBaseUrl, serialBaseUrl, notes,
    async close() {
      await Promise.all(running.splice(0).map((p) => p.close()));
    },
  };
}

/** The base URL with the port the proxy picked (a base URL that is not a URL is left for the operator to see). */
function withPort(baseUrl: string, port: number): string {
  try {
    const url = new URL(baseUrl);
    url.port = String(port);
    return url.toString();
  } catch {
    return baseUrl;
  }
}
