/**
 * The RabbitMQ these tests use: 127.0.0.1:5672 (guest/guest), a virtual host
 * of its own per test file (kn_test_<run>_<random>), deleted afterwards, so
 * parallel runs and leftover queues never meet. Off CI, a machine without
 * RabbitMQ skips these tests with the reason; on CI (CI=true) the test
 * command has started it, so an absent broker fails them instead.
 */
import net from 'node:net';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

export const RABBIT_HOST = '127.0.0.1';
export const RABBIT_PORT = 5672;

const run = promisify(execFile);

export function portAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean) => { sock.destroy(); resolve(ok); };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Why RabbitMQ tests cannot run here, or undefined when they can (or must, on CI). */
export async function rabbitSkipReason(): Promise<string | undefined> {
  if (await portAnswers(RABBIT_HOST, RABBIT_PORT)) return undefined;
  if (process.env.CI === 'true') return undefined;
  return `RabbitMQ does not answer on ${RABBIT_HOST}:${RABBIT_PORT} (start it with \`rabbitmq-server -detached\`; on CI the test command does)`;
}

export function rabbitmqctl(...args: string[]): Promise<{ stdout: string }> {
  return run('rabbitmqctl', ['-q', ...args], { timeout: 60_000 });
}

export interface TestVhost {
  name: string;
  /** rabbit:// URL of the vhost, with guest's credentials. */
  url: string;
  remove(): Promise<void>;
}

/** A virtual host for one test file; its queues and exchanges go with it. */
export async function createTestVhost(): Promise<TestVhost> {
  const name = `kn_test_${process.env.KILONOVA_TEST_RUN_ID ?? process.pid}_${randomBytes(4).toString('hex')}`;
  await rabbitmqctl('add_vhost', name);
  await rabbitmqctl('set_permissions', '-p', name, 'guest', '.*', '.*', '.*');
  return {
    name,
    url: `rabbit://guest:guest@${RABBIT_HOST}:${RABBIT_PORT}/${name}`,
    remove: async () => { await rabbitmqctl('delete_vhost', name).catch(() => undefined); },
  };
}

export interface Relay {
  port: number;
  /** Starts relaying (again) on the same port. */
  open(): Promise<void>;
  /** Cuts every relayed connection abruptly, as a network failure would. */
  cutAll(): void;
  close(): Promise<void>;
}

/**
 * A TCP relay to the broker on a port of its own: a broker that is down
 * (before open()) or a network that drops (cutAll()) without touching the
 * shared RabbitMQ. It starts closed; the port is reserved but refuses.
 */
export async function createRelay(): Promise<Relay> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(RABBIT_PORT, RABBIT_HOST);
    sockets.add(client);
    sockets.add(upstream);
    const end = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream).pipe(client);
  });
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return {
    port,
    open: () => new Promise<void>((r) => server.listen(port, '127.0.0.1', r)),
    cutAll: () => { for (const s of sockets) s.resetAndDestroy(); sockets.clear(); },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => (server.listening ? server.close(() => r()) : r()));
    },
  };
}
