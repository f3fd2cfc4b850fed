/**
 * The console proxy's data path: a TCP connection to where the console is
 * served, then bytes both ways between it and the client's websocket, as
 * binary messages. Either side closing or failing ends both.
 */
import net from 'node:net';
import { createWebSocketStream, type WebSocket } from 'ws';
import type { ConsoleConnectInfo } from './auth-tokens.js';

const CONNECT_TIMEOUT_MS = 10_000;
/** Most a CONNECT handshake's reply head may be before the target is taken for something else. */
const MAX_CONNECT_REPLY = 16 * 1024;

export class ConsoleUnreachable extends Error {}

/** A connected socket to the console, past the CONNECT handshake a console behind an access path wants. */
export async function connectToConsole(info: ConsoleConnectInfo): Promise<net.Socket> {
  const socket = net.connect({ host: info.host, port: info.port });
  socket.setTimeout(CONNECT_TIMEOUT_MS);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
      socket.once('timeout', () => reject(new ConsoleUnreachable('timed out')));
    });
    if (info.internalAccessPath) await connectHandshake(socket, info.internalAccessPath);
    socket.setTimeout(0);
    socket.removeAllListeners('timeout');
    return socket;
  } catch (err) {
    socket.destroy();
    throw err instanceof ConsoleUnreachable ? err : new ConsoleUnreachable((err as Error).message);
  }
}

/** Nova's internal_access_path: `CONNECT <path>` and a 200 before the console's own bytes. */
async function connectHandshake(socket: net.Socket, accessPath: string): Promise<void> {
  socket.write(`CONNECT ${accessPath} HTTP/1.1\r\n\r\n`);
  let head = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_CONNECT_REPLY) done(new ConsoleUnreachable('no reply to CONNECT'));
        return;
      }
      if (!/^HTTP\/1\.[01] 200\b/.test(head.subarray(0, end).toString('latin1'))) return done(new ConsoleUnreachable('CONNECT refused'));
      // Console bytes that came with the reply are the client's.
      const rest = head.subarray(end + 4);
      done();
      if (rest.length) socket.unshift(rest);
    };
    const onEnd = () => done(new ConsoleUnreachable('closed during CONNECT'));
    const done = (err?: Error) => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.pause();
      if (err) reject(err);
      else resolve();
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.once('timeout', () => done(new ConsoleUnreachable('timed out')));
  });
}

/**
 * Relays until either side ends. `client` is a stream over the websocket made
 * when it opened, so what the client sent while the token was checked is
 * relayed first.
 */
export function relay(ws: WebSocket, client: ReturnType<typeof createWebSocketStream>, target: net.Socket, onEnd: (why: string) => void): void {
  let ended = false;
  const end = (why: string, graceful: boolean) => {
    if (ended) return;
    ended = true;
    target.destroy();
    // The console going away is a normal end (a close frame); a failure on the client's side is not.
    if (graceful) ws.close();
    else ws.terminate();
    onEnd(why);
  };
  target.on('error', () => end('console connection failed', false));
  target.on('close', () => end('console closed', true));
  client.on('error', () => end('client connection failed', false));
  client.on('close', () => end('client closed', true));
  target.pipe(client);
  client.pipe(target);
  target.resume();
}
