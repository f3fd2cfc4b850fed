/**
 * Long-lived `virsh` sessions: virsh reading commands on stdin keeps one
 * libvirt connection open, so a call costs a round trip to libvirtd instead
 * of starting a process and connecting (tens of milliseconds each, far more
 * on a host whose CPUs are busy running guests).
 *
 * Each command is followed by `echo <marker>` and `echo --err <marker>`, so
 * its stdout and stderr end where the markers appear. Only arguments made of
 * a plain character set go through a session (virsh parses the line itself);
 * callers send anything else through a one-off process with an argument array.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** Characters an argument may hold to be sent to a session unquoted. */
const PLAIN_ARG = /^[A-Za-z0-9_.\/:=,+@-]+$/;

export function isPlainArgs(args: string[]): boolean {
  return args.length > 0 && args.every((a) => PLAIN_ARG.test(a));
}

export interface ShellResult {
  stdout: string;
  /** virsh's error lines, "error: " stripped; empty when the command succeeded */
  errors: string[];
}

export class ShellTimeout extends Error {
  constructor(command: string, ms: number) {
    super(`libvirt did not answer ${command} within ${Math.round(ms / 1000)} s`);
    this.name = 'ShellTimeout';
  }
}

interface Pending {
  marker: string;
  resolve(r: ShellResult): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** One virsh session: commands run one at a time, in order. */
class VirshSession {
  private readonly child: ChildProcess;
  private out = '';
  private err = '';
  private outResult = '';
  private errResult = '';
  private current?: Pending;
  private stdoutDone = false;
  private stderrDone = false;
  dead = false;

  constructor(uri: string, private readonly onExit: (s: VirshSession) => void) {
    this.child = spawn('virsh', ['-q', '-c', uri], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => { this.out += d; this.check(); });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => { this.err += d; this.check(); });
    this.child.stdin!.on('error', () => undefined);
    this.child.on('error', () => this.die(new Error('virsh could not be started')));
    this.child.on('exit', () => this.die(new Error('the virsh session ended')));
  }

  get busy(): boolean {
    return !!this.current;
  }

  run(args: string[], timeoutMs: number): Promise<ShellResult> {
    if (this.dead) return Promise.reject(new Error('the virsh session ended'));
    const marker = `==kilonova-${randomBytes(8).toString('hex')}==`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // A command that hangs leaves the session in an unknown state: end it.
        this.die(new ShellTimeout(args[0], timeoutMs));
      }, timeoutMs);
      this.current = { marker, resolve, reject, timer };
      this.stdoutDone = false;
      this.stderrDone = false;
      this.child.stdin!.write(`${args.join(' ')}\necho ${marker}\necho --err ${marker}\n`);
    });
  }

  private check(): void {
    const p = this.current;
    if (!p) return;
    if (!this.stdoutDone) {
      const m = new RegExp(`(^|\\n)${p.marker}`).exec(this.out);
      if (m) {
        this.stdoutDone = true;
        this.outResult = this.out.slice(0, m.index);
        this.out = this.out.slice(m.index + m[0].length);
      }
    }
    if (!this.stderrDone) {
      const line = `error: ${p.marker}\n`;
      const i = this.err.indexOf(line);
      if (i >= 0) {
        this.stderrDone = true;
        this.errResult = this.err.slice(0, i);
        this.err = this.err.slice(i + line.length);
      }
    }
    if (this.stdoutDone && this.stderrDone) {
      clearTimeout(p.timer);
      this.current = undefined;
      // The session echoes each command after its prompt; those lines are not output.
      const stdout = this.outResult.split('\n').filter((l) => !l.startsWith('virsh # ')).join('\n');
      const errors = this.errResult.split('\n').map((l) => l.replace(/^error:\s*/, '').trim()).filter(Boolean);
      p.resolve({ stdout, errors });
    }
  }

  private die(err: Error): void {
    if (this.dead) return;
    this.dead = true;
    if (this.current) {
      clearTimeout(this.current.timer);
      this.current.reject(err);
      this.current = undefined;
    }
    this.child.kill('SIGKILL');
    this.onExit(this);
  }

  close(): void {
    this.dead = true;
    this.child.stdin!.end();
    this.child.kill();
  }
}

/**
 * A few sessions, opened as needed: a slow command (starting a domain, a
 * managed save) holds one while the others keep answering.
 */
export class VirshShellPool {
  private readonly sessions: VirshSession[] = [];
  /** sessions handed to a caller (a session is busy only once its command is written) */
  private readonly reserved = new Set<VirshSession>();
  private readonly waiting: Array<(s: VirshSession) => void> = [];
  private closed = false;

  // Enough that a burst of slow commands (domain starts take most of a second) leaves sessions for quick ones.
  constructor(private readonly uri: string, private readonly size = 8) {}

  async run(args: string[], timeoutMs: number): Promise<ShellResult> {
    const session = await this.acquire();
    try {
      return await session.run(args, timeoutMs);
    } finally {
      this.release(session);
    }
  }

  private acquire(): Promise<VirshSession> {
    if (this.closed) return Promise.reject(new Error('the libvirt connection is closed'));
    const idle = this.sessions.find((s) => !s.busy && !s.dead && !this.reserved.has(s));
    if (idle) {
      this.reserved.add(idle);
      return Promise.resolve(idle);
    }
    if (this.sessions.length < this.size) {
      const s = new VirshSession(this.uri, (dead) => this.forget(dead));
      this.sessions.push(s);
      this.reserved.add(s);
      return Promise.resolve(s);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(s: VirshSession): void {
    const next = this.waiting.shift();
    if (next && !s.dead) return next(s);
    this.reserved.delete(s);
    if (next) void this.acquire().then(next);
  }

  private forget(s: VirshSession): void {
    const i = this.sessions.indexOf(s);
    if (i >= 0) this.sessions.splice(i, 1);
  }

  close(): void {
    this.closed = true;
    for (const s of this.sessions.splice(0)) s.close();
  }
}
