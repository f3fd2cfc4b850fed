/**
 * The fake guests' consoles, served for real on 127.0.0.1 so a console proxy
 * has something to connect to: a VNC display (vnc-server.ts) and a serial
 * line that echoes what it is sent, as a terminal with echo on does. A
 * guest's listeners open on its first console request and close, with their
 * connections, when the guest goes or the driver stops.
 */
import net from 'node:net';
import { once } from 'node:events';
import type { ConsoleEndpoint } from '../driver.js';
import { serveRfb } from './vnc-server.js';

export type ServedConsole = 'vnc' | 'serial';

const LISTEN_HOST = '127.0.0.1';

interface Listener {
  server: net.Server;
  sockets: Set<net.Socket>;
  port: Promise<number>;
}

export class FakeConsoles {
  /** By guest uuid, then console kind. */
  private readonly listeners = new Map<string, Map<ServedConsole, Listener>>();

  /** Where the guest's console of this kind is served, listening from now on. */
  async endpoint(uuid: string, name: string, kind: ServedConsole): Promise<ConsoleEndpoint> {
    let byKind = this.listeners.get(uuid);
    if (!byKind) this.listeners.set(uuid, (byKind = new Map()));
    let listener = byKind.get(kind);
    if (!listener) {
      listener = listen(kind === 'vnc' ? (s) => serveRfb(s, name) : echo);
      byKind.set(kind, listener);
      listener.port.catch(() => byKind.delete(kind));
    }
    return { host: LISTEN_HOST, port: await listener.port, internalAccessPath: null };
  }

  /** Stops serving the guest's consoles (it is destroyed or has left this host). */
  async close(uuid: string): Promise<void> {
    const byKind = this.listeners.get(uuid);
    if (!byKind) return;
    this.listeners.delete(uuid);
    await Promise.all([...byKind.values()].map(stop));
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.listeners.keys()].map((uuid) => this.close(uuid)));
  }
}

function listen(serve: (socket: net.Socket) => void): Listener {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serve(socket);
  });
  const port = (async () => {
    server.listen(0, LISTEN_HOST);
    await once(server, 'listening');
    // A failed accept (out of file descriptors) costs that one client, not the hypervisor.
    server.on('error', () => undefined);
    return (server.address() as net.AddressInfo).port;
  })();
  return { server, sockets, port };
}

async function stop(l: Listener): Promise<void> {
  // One still opening is closed once open, not left listening.
  await l.port.catch(() => undefined);
  for (const s of l.sockets) s.destroy();
  if (!l.server.listening) return;
  await new Promise<void>((resolve) => l.server.close(() => resolve()));
}

function echo(socket: net.Socket): void {
  socket.on('error', () => socket.destroy());
  socket.pipe(socket);
}
