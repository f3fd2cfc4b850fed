/**
 * How the driver talks to libvirtd: the `virsh` client, one process per call,
 * with an argument array (never a shell), and domain XML passed as a file.
 * virsh is libvirt's own client, so every call goes through the same public
 * API and connection URI an operator uses by hand; see the README for why this
 * was chosen over speaking libvirt's remote protocol from Node.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { Logger } from 'pino';
import { isPlainArgs, ShellTimeout, VirshShellPool } from './virsh-shell.js';

/** A libvirt call failed; `message` is libvirt's own first line, without paths of the caller. */
export class LibvirtError extends Error {
  constructor(message: string, readonly command: string, readonly code: LibvirtErrorCode) {
    super(message);
    this.name = 'LibvirtError';
  }
}

export type LibvirtErrorCode = 'no-domain' | 'operation-invalid' | 'connect' | 'timeout' | 'other';

/** The domain states `virsh domstate` prints. */
export type DomainState = 'running' | 'idle' | 'paused' | 'in shutdown' | 'shut off' | 'crashed' | 'pmsuspended' | 'no state';

/** A lifecycle event from libvirt: the domain's name and the new state in libvirt's words. */
export interface LifecycleEvent {
  domain: string;
  event: string;
  detail: string;
}

const STALE_CONNECTION = /^Disconnected from \S+ due to|^no valid connection|^Reconnected to the hypervisor/;

// Names that reach virsh's command line are the driver's own (instance-%08x,
// UUIDs); anything else is refused rather than trusted to argument parsing.
const DOMAIN_REF = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function checkDomainRef(ref: string): string {
  if (!DOMAIN_REF.test(ref)) throw new LibvirtError(`not a domain name or UUID: ${JSON.stringify(ref)}`, 'check', 'other');
  return ref;
}

export interface LibvirtConnectionOptions {
  uri: string;
  logger: Logger;
  /** per call, in ms */
  timeoutMs?: number;
}

export class LibvirtConnection {
  private readonly timeoutMs: number;
  private events?: ChildProcess;
  private closing = false;
  private readonly sessions: VirshShellPool;

  constructor(private readonly opts: LibvirtConnectionOptions) {
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.sessions = new VirshShellPool(opts.uri);
  }

  get uri(): string {
    return this.opts.uri;
  }

  /**
   * Runs one virsh command; resolves with its stdout. Commands whose
   * arguments are plain go through a long-lived session; the rest (and any
   * call when no session can be started) through a one-off process.
   */
  async run(args: string[], timeoutMs = this.timeoutMs): Promise<string> {
    if (!this.closing && isPlainArgs(args)) {
      for (let attempt = 1; ; attempt++) {
        let result;
        try {
          result = await this.sessions.run(args, timeoutMs);
        } catch (err) {
          if (err instanceof ShellTimeout) throw new LibvirtError(err.message, args[0], 'timeout');
          this.opts.logger.debug({ err, command: args[0] }, 'virsh session unavailable; running a one-off virsh');
          return this.runOnce(args, timeoutMs);
        }
        if (result.errors.length === 0) return result.stdout;
        // After libvirtd restarts, a session's next command finds the old
        // connection gone and virsh reconnects; the command did not run, so it
        // is sent once more on the new connection.
        if (attempt === 1 && result.errors.some((e) => STALE_CONNECTION.test(e))) {
          this.opts.logger.info({ command: args[0] }, 'libvirt connection was lost; the virsh session reconnected');
          continue;
        }
        throw toLibvirtError(args[0], result.errors.map((e) => `error: ${e}`).join('\n'));
      }
    }
    return this.runOnce(args, timeoutMs);
  }

  private runOnce(args: string[], timeoutMs: number): Promise<string> {
    const argv = ['-q', '-c', this.opts.uri, ...args];
    return new Promise((resolve, reject) => {
      execFile('virsh', argv, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === 'ENOENT') return reject(new LibvirtError('virsh is not installed (Debian package libvirt-clients)', args[0], 'connect'));
        if (e.killed) return reject(new LibvirtError(`libvirt did not answer ${args[0]} within ${Math.round(timeoutMs / 1000)} s`, args[0], 'timeout'));
        reject(toLibvirtError(args[0], String(stderr)));
      });
    });
  }

  /** True when libvirtd answers on this URI. */
  async ping(timeoutMs = 3000): Promise<boolean> {
    try {
      await this.run(['version', '--daemon'], timeoutMs);
      return true;
    } catch {
      return false;
    }
  }

  async version(): Promise<{ library: string; hypervisor: string; hypervisorVersion: number }> {
    const out = await this.run(['version']);
    const hyp = /Running hypervisor:\s*(\S+)\s+(\d+)\.(\d+)\.(\d+)/.exec(out);
    const lib = /Using library:\s*libvirt\s+(\S+)/.exec(out);
    return {
      library: lib?.[1] ?? 'unknown',
      hypervisor: hyp?.[1] ?? 'QEMU',
      // Nova reports versions as major*1e6 + minor*1e3 + micro.
      hypervisorVersion: hyp ? Number(hyp[2]) * 1_000_000 + Number(hyp[3]) * 1000 + Number(hyp[4]) : 0,
    };
  }

  /** defineXML: the XML goes through a private temporary file, not the command line. */
  defineDomain(xml: string): Promise<void> {
    return this.withXmlFile(xml, async (file) => { await this.run(['define', file]); });
  }

  /**
   * Adds a device to the domain's persistent definition and, when `live`, to
   * the running guest too (Nova's attach with VIR_DOMAIN_AFFECT_CONFIG|LIVE).
   */
  attachDevice(ref: string, xml: string, live: boolean): Promise<void> {
    return this.withXmlFile(xml, async (file) => {
      await this.run(['attach-device', checkDomainRef(ref), file, '--config', ...(live ? ['--live'] : [])]);
    });
  }

  /** Asks for the device's removal from the definition and/or the guest; a running guest completes it when it releases the device. */
  detachDevice(ref: string, xml: string, where: { config: boolean; live: boolean }): Promise<void> {
    return this.withXmlFile(xml, async (file) => {
      await this.run(['detach-device', checkDomainRef(ref), file, ...(where.config ? ['--config'] : []), ...(where.live ? ['--live'] : [])]);
    });
  }

  private async withXmlFile(xml: string, use: (file: string) => Promise<void>): Promise<void> {
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'kilonova-domain-'));
    const file = path.join(dir, 'device.xml');
    try {
      await fs.promises.writeFile(file, xml, { mode: 0o600 });
      await use(file);
    } finally {
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  }

  async domainState(ref: string): Promise<{ state: DomainState; reason: string }> {
    const out = (await this.run(['domstate', '--reason', checkDomainRef(ref)])).trim();
    const m = /^(running|idle|paused|in shutdown|shut off|crashed|pmsuspended|no state)(?:\s*\((.*)\))?$/.exec(out);
    if (!m) throw new LibvirtError(`unexpected domain state ${JSON.stringify(out)}`, 'domstate', 'other');
    return { state: m[1] as DomainState, reason: m[2] ?? '' };
  }

  /** Whether the domain has a managed save image (suspended by managedsave). */
  async hasManagedSave(ref: string): Promise<boolean> {
    const out = await this.run(['dominfo', checkDomainRef(ref)]);
    return /^Managed save:\s+yes/m.test(out);
  }

  /** UUIDs of every domain, running or defined. */
  async listDomainUuids(): Promise<string[]> {
    const out = await this.run(['list', '--all', '--uuid']);
    return out.split('\n').map((l) => l.trim()).filter(Boolean);
  }

  domain(command: string, ref: string, ...flags: string[]): Promise<string> {
    return this.run([command, checkDomainRef(ref), ...flags]);
  }

  async nodeInfo(): Promise<{ cpus: number; model: string; sockets: number; cores: number; threads: number }> {
    const out = await this.run(['nodeinfo']);
    const num = (label: string) => Number(new RegExp(`^${label}:\\s+(\\d+)`, 'm').exec(out)?.[1] ?? 0);
    return {
      cpus: num('CPU\\(s\\)'), model: /^CPU model:\s+(\S+)/m.exec(out)?.[1] ?? 'x86_64',
      sockets: num('CPU socket\\(s\\)'), cores: num('Core\\(s\\) per socket'), threads: num('Thread\\(s\\) per core'),
    };
  }

  /**
   * Follows libvirt's domain lifecycle events (`virsh event --loop`) until
   * close(). When the event stream ends unexpectedly it is restarted, so a
   * libvirtd restart does not leave the driver deaf.
   */
  watchLifecycleEvents(onEvent: (e: LifecycleEvent) => void): void {
    if (this.events || this.closing) return;
    const child = spawn('virsh', ['-q', '-c', this.opts.uri, 'event', '--all', '--loop'], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' },
    });
    this.events = child;
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const e = parseLifecycleEvent(line);
      if (e) onEvent(e);
    });
    child.stderr!.resume();
    child.on('error', (err) => this.opts.logger.warn({ err }, 'libvirt event stream failed to start'));
    child.on('exit', () => {
      this.events = undefined;
      if (this.closing) return;
      this.opts.logger.warn('libvirt event stream ended; restarting it');
      setTimeout(() => this.watchLifecycleEvents(onEvent), 1000).unref();
    });
  }

  close(): void {
    this.closing = true;
    this.sessions.close();
    this.events?.kill();
    this.events = undefined;
  }
}

/** `event 'lifecycle' for domain 'instance-00000001': Stopped Shutdown` → its parts. */
export function parseLifecycleEvent(line: string): LifecycleEvent | undefined {
  const m = /^event 'lifecycle' for domain '([^']+)': (\S+)\s*(.*)$/.exec(line.trim());
  return m ? { domain: m[1], event: m[2], detail: m[3] } : undefined;
}

function toLibvirtError(command: string, stderr: string): LibvirtError {
  const lines = stderr.split('\n').map((l) => l.replace(/^error:\s*/, '').trim()).filter(Boolean);
  // virsh prints "failed to get domain 'x'" and then libvirt's reason; the reason is the useful part.
  const reason = lines.find((l) => !/^failed to (get|start|define|create)/i.test(l)) ?? lines[0] ?? `virsh ${command} failed`;
  let code: LibvirtErrorCode = 'other';
  if (/Domain not found|failed to get domain/i.test(stderr)) code = 'no-domain';
  else if (/Requested operation is not valid|domain is not running|already running|is not paused|domain has no managed save/i.test(stderr)) code = 'operation-invalid';
  else if (/failed to connect|Failed to connect socket|no connection driver/i.test(stderr)) code = 'connect';
  return new LibvirtError(reason.slice(0, 500), command, code);
}
