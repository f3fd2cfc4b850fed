/**
 * A RabbitMQ node of one test's own, for the tests that stop and restart the
 * broker: the shared node at 127.0.0.1:5672 serves every other test and must
 * never go down. The node gets its own name, AMQP and distribution ports,
 * Erlang cookie (its HOME), database, logs and configuration (no plugins, so
 * no management listener), all under one temporary directory; the system's
 * /etc/rabbitmq files are not read. It runs in the foreground as a child
 * process group, stops with SIGTERM (RabbitMQ's graceful shutdown: clients
 * see their connections closed by the broker), starts again on the same port
 * and database, and is killed and removed at close (or when the test process
 * exits without closing it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import net from 'node:net';
import { portAnswers } from './broker.js';

/** The server script itself: /usr/sbin's wrapper switches to the rabbitmq user, which cannot enter our directory. */
const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

export interface PrivateBroker {
  /** AMQP port on 127.0.0.1. */
  port: number;
  nodeName: string;
  /** rabbit:// URL of its default virtual host, with guest's credentials. */
  url: string;
  /** Whether the node is running now. */
  readonly running: boolean;
  /** Graceful stop (SIGTERM); resolves once the node has exited and its port refuses. */
  stop(): Promise<void>;
  /** Starts the node (again, on the same port and database); resolves once it accepts AMQP connections. */
  start(): Promise<void>;
  /** The node's own log so far (for a failure message). */
  log(): string;
  /** Kills the node if it runs and removes its directory. */
  close(): Promise<void>;
}

/** Why a private broker cannot run here, or undefined when it can. */
export function privateBrokerSkipReason(): string | undefined {
  if (!fs.existsSync(SERVER)) return `${SERVER} is not installed (apt-get install rabbitmq-server)`;
  if (process.getuid?.() !== 0) return 'starting a private RabbitMQ node needs root (the server script runs as root or rabbitmq)';
  return undefined;
}

/** A node that answers once this resolves. */
export async function startPrivateBroker(opts: { readyTimeoutMs?: number } = {}): Promise<PrivateBroker> {
  const broker = await createPrivateBroker(opts);
  try {
    await broker.start();
  } catch (err) {
    await broker.close();
    throw err;
  }
  return broker;
}

/**
 * A node with its ports and directory chosen but not started, so its URL can
 * be handed out while it boots (clients retry until it answers).
 */
export async function createPrivateBroker(opts: { readyTimeoutMs?: number } = {}): Promise<PrivateBroker> {
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-rabbit-'));
  const nodeName = `kn-${randomBytes(4).toString('hex')}@localhost`;
  const port = await portBelowEphemeral();
  let distPort = await portBelowEphemeral();
  while (distPort === port) distPort = await portBelowEphemeral();
  for (const d of ['home', 'mnesia', 'log']) fs.mkdirSync(path.join(dir, d));
  fs.writeFileSync(path.join(dir, 'enabled_plugins'), '[].\n');
  fs.writeFileSync(path.join(dir, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${port}\n`);
  fs.writeFileSync(path.join(dir, 'rabbitmq-env.conf'), '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: path.join(dir, 'home'),
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
    RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, 'advanced.config'),
    RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'),
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
  const url = `rabbit://guest:guest@127.0.0.1:${port}/`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';
  const killGroup = () => {
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  };
  process.once('exit', killGroup);

  const start = async () => {
    if (child && child.exitCode === null && child.signalCode === null) throw new Error(`${nodeName} is already running`);
    // Its own process group, so the shell script, the Erlang VM and epmd helpers can be killed together.
    const c = spawn(SERVER, [], { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    const append = (d: string) => { output = (output + d).slice(-64 * 1024); };
    c.stdout!.setEncoding('utf8').on('data', append);
    c.stderr!.setEncoding('utf8').on('data', append);
    exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (c.exitCode !== null || c.signalCode !== null) throw new Error(`RabbitMQ node ${nodeName} exited before it was ready:\n${output.slice(-4000)}`);
      if (await acceptsAmqp(port)) return;
      if (Date.now() > deadline) {
        killGroup();
        await exited;
        throw new Error(`RabbitMQ node ${nodeName} not ready on port ${port} within ${readyTimeoutMs} ms:\n${output.slice(-4000)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill('SIGTERM');
    const killer = setTimeout(killGroup, 30_000);
    await exited;
    clearTimeout(killer);
    // The script exits after the VM; a VM child left behind would still hold the port.
    killGroup();
    const deadline = Date.now() + 10_000;
    while (await portAnswers('127.0.0.1', port)) {
      if (Date.now() > deadline) throw new Error(`RabbitMQ node ${nodeName} still answers on ${port} after it stopped`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  return {
    port, nodeName, url,
    get running() { return !!child && child.exitCode === null && child.signalCode === null; },
    stop, start,
    log: () => output,
    async close() {
      if (child && child.pid && child.exitCode === null && child.signalCode === null) {
        try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
        await exited;
      }
      process.off('exit', killGroup);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A free port below the kernel's ephemeral range. The node takes 5-15 s to
 * open its listener; a port from the ephemeral range (what listen(0) hands
 * out) can meanwhile become the source port of some outgoing connection, or
 * of a client retrying this very port (TCP's self-connect), and the node then
 * fails to boot with eaddrinuse.
 */
async function portBelowEphemeral(): Promise<number> {
  const [low] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  const top = Math.max(11_000, (low || 32768) - 1);
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * (top - 10_000));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between 10000 and ${top}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** Whether the node completes an AMQP handshake as guest (it opens its listener only once booted). */
async function acceptsAmqp(port: number): Promise<boolean> {
  try {
    const conn = await amqp.connect({ protocol: 'amqp', hostname: '127.0.0.1', port, username: 'guest', password: 'guest', vhost: '/' }, { timeout: 2000 });
    await conn.close().catch(() => undefined);
    return true;
  } catch {
    return false;
  }
}
