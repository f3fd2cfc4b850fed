/**
 * The metadata proxy of a network, as Neutron runs it: an haproxy inside the
 * network's qdhcp- namespace, listening on 169.254.169.254:80 and forwarding
 * every request to the metadata agent's unix socket with the network's id
 * (X-Neutron-Network-ID) and the guest's real source address
 * (X-Forwarded-For). Both headers are set by haproxy over whatever the guest
 * sent, so a guest can name neither another network nor another address; the
 * address itself is held by anti-spoofing rules elsewhere.
 *
 * The namespace must already hold 169.254.169.254 (the DHCP driver adds it
 * with the namespace's port). Config and pid files live under stateDir, one
 * pair per network, so a restarted agent finds its proxies again and adopts
 * the ones still running in the right namespace.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { MetadataProxyDriver } from '../drivers.js';
import { runHostCommand } from '../host-commands.js';

export const METADATA_ADDRESS = '169.254.169.254';
export const METADATA_PORT = 80;

export interface HaproxyMetadataProxyOptions {
  /** Where each network's haproxy.cfg and pid file are kept (Neutron's ns-metadata-proxy directory). */
  stateDir: string;
  /** The metadata agent's socket ([DEFAULT] metadata_proxy_socket). */
  agentSocket: string;
  logger?: Logger;
  /** The haproxy binary (Debian's /usr/sbin/haproxy by default). */
  haproxy?: string;
}

/** How long a stopped haproxy may take to exit before it is killed. */
const STOP_GRACE_MS = 5_000;
/** How long a started haproxy may take to write its pid file. */
const START_DEADLINE_MS = 10_000;
const POLL_MS = 20;

/** Network ids become file names: anything but a UUID's characters is refused, not escaped. */
const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The haproxy configuration of one network's proxy (Neutron's template, minus syslog, which these hosts may lack). */
export function haproxyConfig(opts: { networkId: string; agentSocket: string; pidFile: string }): string {
  return [
    'global',
    '    maxconn     1024',
    `    pidfile     ${opts.pidFile}`,
    '    daemon',
    '',
    'defaults',
    '    mode http',
    '    option http-server-close',
    '    retries                 3',
    '    timeout http-request    30s',
    '    timeout connect         30s',
    '    timeout client          32s',
    '    timeout server          32s',
    '    timeout http-keep-alive 30s',
    '',
    'listen listener',
    `    bind ${METADATA_ADDRESS}:${METADATA_PORT}`,
    `    server metadata ${opts.agentSocket}`,
    // set-header replaces what the guest sent: the network and the source are the proxy's word, not the guest's.
    '    http-request del-header X-Neutron-Router-ID',
    `    http-request set-header X-Neutron-Network-ID ${opts.networkId}`,
    '    http-request set-header X-Forwarded-For %[src]',
    '',
  ].join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Alive and not a zombie (a daemon killed here may wait a while to be reaped by init). */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function readPid(pidFile: string): number | null {
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim().split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Whether `pid` is our haproxy for this config file (a recycled pid is someone else's). */
function isOurHaproxy(pid: number, configFile: string): boolean {
  try {
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return running(pid) && argv.includes(configFile);
  } catch {
    return false;
  }
}

/** Whether the process runs in that named namespace (and not in an older one of the same name, since deleted). */
function inNamespace(pid: number, namespace: string): boolean {
  try {
    const link = fs.readlinkSync(`/proc/${pid}/ns/net`);
    return link === `net:[${fs.statSync(path.join('/run/netns', namespace)).ino}]`;
  } catch {
    return false;
  }
}

export class HaproxyMetadataProxyDriver implements MetadataProxyDriver {
  private readonly haproxy: string;
  /** Networks whose proxy this driver started or adopted, with their namespace. */
  private readonly proxies = new Map<string, string>();
  /** One operation at a time per network, so two syncs cannot start two haproxies. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly opts: HaproxyMetadataProxyOptions) {
    this.haproxy = opts.haproxy ?? 'haproxy';
  }

  private files(networkId: string): { config: string; pid: string } {
    if (!SAFE_ID.test(networkId)) throw new Error(`not a network id: ${JSON.stringify(networkId)}`);
    return { config: path.join(this.opts.stateDir, `${networkId}.conf`), pid: path.join(this.opts.stateDir, `${networkId}.pid`) };
  }

  private serialized<T>(networkId: string, work: () => Promise<T>): Promise<T> {
    const before = this.queues.get(networkId) ?? Promise.resolve();
    const next = before.catch(() => undefined).then(work);
    const settled = next.catch(() => undefined);
    this.queues.set(networkId, settled);
    void settled.then(() => { if (this.queues.get(networkId) === settled) this.queues.delete(networkId); });
    return next;
  }

  /** Networks with a proxy this driver manages (for the agent's reports and the tests). */
  managedNetworks(): string[] {
    return [...this.proxies.keys()];
  }

  /** The pid of the network's running haproxy, if any. */
  pidOf(networkId: string): number | null {
    const files = this.files(networkId);
    const pid = readPid(files.pid);
    return pid !== null && isOurHaproxy(pid, files.config) ? pid : null;
  }

  ensureProxy(namespace: string, networkId: string): Promise<void> {
    return this.serialized(networkId, async () => {
      const files = this.files(networkId);
      const config = haproxyConfig({ networkId, agentSocket: this.opts.agentSocket, pidFile: files.pid });
      const pid = this.pidOf(networkId);
      const current = fs.existsSync(files.config) ? fs.readFileSync(files.config, 'utf8') : null;
      if (pid !== null && current === config && inNamespace(pid, namespace)) {
        this.proxies.set(networkId, namespace);
        return;
      }
      // Running with another config, or in a namespace since deleted and made again: replaced.
      if (pid !== null) await this.kill(pid);
      await fs.promises.mkdir(this.opts.stateDir, { recursive: true });
      await fs.promises.rm(files.pid, { force: true });
      await fs.promises.writeFile(files.config, config);
      await runHostCommand(this.haproxy, ['-f', files.config], { namespace });
      const started = await this.awaitPid(networkId);
      this.proxies.set(networkId, namespace);
      this.opts.logger?.info({ network: networkId, namespace, pid: started }, 'metadata proxy started');
    });
  }

  removeProxy(networkId: string): Promise<void> {
    return this.serialized(networkId, async () => {
      const files = this.files(networkId);
      const pid = this.pidOf(networkId);
      if (pid !== null) await this.kill(pid);
      await fs.promises.rm(files.pid, { force: true });
      await fs.promises.rm(files.config, { force: true });
      if (this.proxies.delete(networkId) || pid !== null) this.opts.logger?.info({ network: networkId, pid }, 'metadata proxy stopped');
    });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.proxies.keys()].map((networkId) => this.removeProxy(networkId)));
  }

  private async awaitPid(networkId: string): Promise<number> {
    const deadline = Date.now() + START_DEADLINE_MS;
    for (;;) {
      const pid = this.pidOf(networkId);
      if (pid !== null) return pid;
      if (Date.now() > deadline) throw new Error(`haproxy for network ${networkId} did not start within ${START_DEADLINE_MS} ms`);
      await sleep(POLL_MS);
    }
  }

  /** SIGTERM, then SIGKILL past the grace period; returns once the process is gone. */
  private async kill(pid: number): Promise<void> {
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(pid, sig);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    };
    signal('SIGTERM');
    if (await this.exited(pid, STOP_GRACE_MS)) return;
    signal('SIGKILL');
    if (!(await this.exited(pid, STOP_GRACE_MS))) throw new Error(`haproxy ${pid} did not exit`);
  }

  private async exited(pid: number, withinMs: number): Promise<boolean> {
    const deadline = Date.now() + withinMs;
    while (running(pid)) {
      if (Date.now() > deadline) return false;
      await sleep(POLL_MS);
    }
    return true;
  }
}
