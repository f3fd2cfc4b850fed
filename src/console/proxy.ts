/**
 * A console proxy (Nova's nova-novncproxy and nova-serialproxy): websocket
 * upgrades on an HTTP server, each carrying a console token in `?token=` or a
 * `token` cookie (noVNC before 1.1). A valid token of this proxy's console
 * type, from an acceptable Origin, gets its console relayed; anything else
 * has the connection closed without a byte, as Nova's proxy does. Plain GETs
 * are answered from noVNC's files when the proxy has a web root.
 */
import http from 'node:http';
import path from 'node:path';
import { once } from 'node:events';
import type { Logger } from 'pino';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';
import type { ComputeDb } from '../compute/db/tables.js';
import { validateConsoleToken } from './auth-tokens.js';
import { originRefusal } from './origin.js';
import { ConsoleUnreachable, connectToConsole, relay } from './relay.js';
import { serveStatic } from './static-files.js';

export interface ConsoleProxyOptions {
  /** For the logs: novncproxy, serialproxy. */
  name: string;
  /** The console types whose tokens this proxy accepts (novnc; serial). */
  consoleTypes: readonly string[];
  host: string;
  /** 0 picks a free port. */
  port: number;
  db: ComputeDb;
  /** noVNC's files, served to plain GETs; without it plain GETs are 404s. */
  web?: string;
  /** [console] allowed_origins */
  allowedOrigins: readonly string[];
  logger: Logger;
}

export interface ConsoleProxy {
  /** The port it listens on. */
  port: number;
  close(): Promise<void>;
}

/** A connection refused for a reason the client is not told. */
class Refused extends Error {}

/** Largest websocket message taken from a client: consoles send keystrokes and pointer moves. */
const MAX_CLIENT_MESSAGE = 1024 * 1024;

export async function startConsoleProxy(opts: ConsoleProxyOptions): Promise<ConsoleProxy> {
  const log = opts.logger.child({ service: opts.name });
  const web = opts.web ? path.resolve(opts.web) : undefined;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE });
  const server = http.createServer((req, res) => {
    if (web) serveStatic(web, req, res);
    else {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('This is a console websocket endpoint.\n');
    }
  });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    wss.handleUpgrade(req, socket, head, (ws) => void accept(ws, req));
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  async function accept(ws: WebSocket, req: http.IncomingMessage): Promise<void> {
    // Made at once, so what the client sends while the token is checked waits in it.
    const client = createWebSocketStream(ws);
    client.on('error', () => undefined);
    const peer = req.socket.remoteAddress;
    try {
      const info = await validateConsoleToken(opts.db, tokenOf(req));
      if (!info || !opts.consoleTypes.includes(info.consoleType)) throw new Refused('invalid or expired token');
      const refusal = originRefusal(req.headers, info.accessUrlBase, opts.allowedOrigins);
      if (refusal) throw new Refused(refusal);
      const target = await connectToConsole(info);
      if (ws.readyState !== ws.OPEN) {
        target.destroy();
        return;
      }
      const fields = { instance: info.instanceUuid, console_type: info.consoleType, peer, target: `${info.host}:${info.port}` };
      log.info(fields, 'console connection opened');
      relay(ws, client, target, (why) => log.info({ ...fields, why }, 'console connection closed'));
    } catch (err) {
      if (err instanceof Refused) log.warn({ peer, reason: err.message }, 'console connection refused');
      else if (err instanceof ConsoleUnreachable) log.warn({ peer, reason: err.message }, 'the console could not be reached');
      else log.error({ err, peer }, 'console connection failed');
      ws.terminate();
    }
  }

  server.listen(opts.port, opts.host);
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  // After start-up an error (a failed accept) is one client's, not the proxy's end.
  server.on('error', (err) => log.warn({ err }, 'console proxy socket error'));
  log.info({ host: opts.host, port, web }, 'console proxy listening');
  return {
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const ws of wss.clients) ws.terminate();
      server.closeAllConnections();
      await closed;
    },
  };
}

/** The token from the query, else from a `token` cookie (noVNC before 1.1 sends it so). */
function tokenOf(req: http.IncomingMessage): string {
  let query: string | null = null;
  try {
    query = new URL(req.url ?? '/', 'http://proxy').searchParams.get('token');
  } catch {
    return '';
  }
  if (query) return query;
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === 'token') return part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return '';
}
