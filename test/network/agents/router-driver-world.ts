/**
 * A small world for the router driver's tests, all inside namespaces made for
 * one test and removed after it: a private data-path namespace holding the
 * bridges, "guest" namespaces on two internal networks and an "outside"
 * namespace on the external network standing for the rest of the world (it
 * has no route to the internal subnets). Each can serve a CGI that answers
 * with the caller's address, so a test reads what source address arrived.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { attachToBridge, ensureBridge } from '../../../src/network/agents/bridges.js';
import { runHostCommand } from '../../../src/network/agents/host-commands.js';
import { namespaceNames, type RouterState } from '../../../src/network/agents/state.js';

export const HTTP_PORT = 8080;
const DEADLINE_MS = 10_000;
const UNREACHABLE_AFTER_MS = 3000;

export interface Endpoint {
  namespace: string;
  address: string;
}

export interface Network {
  id: string;
  /** the first three octets, e.g. 10.71.1 */
  prefix: string;
}

function mac(): string {
  return `fa:16:3e:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}

export async function ipIn(namespace: string, ...args: string[]): Promise<string> {
  return runHostCommand('ip', ['-n', namespace, ...args]);
}

/** Polls `probe` until it returns true or the deadline passes; the last answer. */
export async function eventually(probe: () => Promise<boolean>, deadlineMs = DEADLINE_MS): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class RouterWorld {
  readonly tag = randomBytes(3).toString('hex');
  readonly hostNamespace = `kn-t-${this.tag}`;
  readonly netA: Network = { id: randomUUID(), prefix: '10.71.1' };
  readonly netB: Network = { id: randomUUID(), prefix: '10.71.2' };
  readonly external: Network = { id: randomUUID(), prefix: '172.24.4' };
  readonly routerId = randomUUID();
  readonly gatewayAddress = '172.24.4.10';
  readonly floatingAddress = '172.24.4.20';
  private readonly namespaces: string[] = [];
  private readonly servers: ChildProcess[] = [];
  private readonly dirs: string[] = [];

  async start(): Promise<void> {
    await this.addNamespace(this.hostNamespace);
  }

  /** A namespace standing for a machine on `net`, its one NIC on the network's bridge; routed by `gateway` when given. */
  async endpoint(name: string, net: Network, host: number, gateway?: string): Promise<Endpoint> {
    const namespace = `${this.hostNamespace}-${name}`;
    await this.addNamespace(namespace);
    const outer = `v${this.tag}${name}`.slice(0, 15);
    await ensureBridge(this.hostNamespace, net.id, 1500);
    await runHostCommand('ip', ['-n', this.hostNamespace, 'link', 'add', outer, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace]);
    await attachToBridge(this.hostNamespace, outer, net.id);
    const address = `${net.prefix}.${host}`;
    await ipIn(namespace, 'link', 'set', 'dev', 'lo', 'up');
    await ipIn(namespace, 'link', 'set', 'dev', 'eth0', 'up');
    await ipIn(namespace, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
    if (gateway) await ipIn(namespace, 'route', 'add', 'default', 'via', gateway);
    return { namespace, address };
  }

  /** Serves /cgi-bin/ip (the caller's address as this endpoint sees it) until the world ends. */
  async serveCallerAddress(at: Endpoint): Promise<void> {
    const dir = await mkdtemp(path.join(tmpdir(), `kn-t-${this.tag}-www-`));
    this.dirs.push(dir);
    await mkdir(path.join(dir, 'cgi-bin'));
    await writeFile(path.join(dir, 'cgi-bin', 'ip'), '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "$REMOTE_ADDR"\n', { mode: 0o755 });
    const server = spawn('ip', ['netns', 'exec', at.namespace, 'busybox', 'httpd', '-f', '-p', `0.0.0.0:${HTTP_PORT}`, '-h', dir], { stdio: 'ignore' });
    this.servers.push(server);
    // Ready when it answers on its own loopback.
    const up = await eventually(async () => (await this.callerAddress(at, { namespace: at.namespace, address: '127.0.0.1' })) !== null);
    if (!up) throw new Error(`httpd in ${at.namespace} did not start`);
  }

  /** What `to` saw as the source of a request from `from`, or null when it could not be reached. */
  async callerAddress(from: Endpoint, to: Endpoint): Promise<string | null> {
    // busybox 1.35's wget crashes with -T, so a connection that hangs is cut by the runner's timeout.
    try {
      const out = await runHostCommand('busybox', ['wget', '-q', '-O', '-', `http://${to.address}:${HTTP_PORT}/cgi-bin/ip`], { namespace: from.namespace, timeoutMs: UNREACHABLE_AFTER_MS });
      return out.trim();
    } catch {
      return null;
    }
  }

  async pings(from: Endpoint, address: string): Promise<boolean> {
    return runHostCommand('busybox', ['ping', '-c', '1', '-W', '1', address], { namespace: from.namespace, timeoutMs: 5000 }).then(() => true, () => false);
  }

  /** A router between netA and netB with its gateway on the external network (SNAT on), without floating IPs. */
  router(): RouterState {
    const port = (net: Network) => ({ portId: randomUUID(), networkId: net.id, macAddress: mac(), cidrs: [`${net.prefix}.1/24`] });
    return {
      routerId: this.routerId,
      adminStateUp: true,
      gateway: { ...port(this.external), cidrs: [`${this.gatewayAddress}/24`], gatewayIp: `${this.external.prefix}.1`, enableSnat: true },
      interfaces: [port(this.netA), port(this.netB)],
      floatingIps: [],
    };
  }

  /** Links in the data-path namespace (bridges and bridge-side ends), loopback aside. */
  async hostLinks(): Promise<string[]> {
    const links = JSON.parse(await ipIn(this.hostNamespace, '-j', 'link', 'show')) as Array<{ ifname: string }>;
    return links.map((l) => l.ifname).filter((n) => n !== 'lo');
  }

  /** Also removes any router namespace made for this world (the driver's own removal is what tests assert). */
  async end(): Promise<void> {
    for (const server of this.servers) server.kill('SIGKILL');
    const namespaces = [...this.namespaces, namespaceNames.router(this.routerId)];
    for (const namespace of namespaces.reverse()) await runHostCommand('ip', ['netns', 'del', namespace]).catch(() => undefined);
    for (const dir of this.dirs) await rm(dir, { recursive: true, force: true });
  }

  async addNamespace(namespace: string): Promise<void> {
    await runHostCommand('ip', ['netns', 'add', namespace]);
    this.namespaces.push(namespace);
  }
}

export async function namespaceExists(namespace: string): Promise<boolean> {
  const out = await runHostCommand('ip', ['netns', 'list']);
  return out.split('\n').some((l) => l.split(/\s+/)[0] === namespace);
}
