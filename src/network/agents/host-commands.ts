/**
 * Runs the kernel tools the network agents drive (ip, iptables-restore,
 * dnsmasq, sysctl): an argument array, never a shell, optionally inside a
 * network namespace. A failure becomes a HostCommandError with the command and
 * the tail of its stderr, for logs; it never reaches an API fault.
 */
import { spawn } from 'node:child_process';

const STDERR_TAIL_CHARS = 1000;

export class HostCommandError extends Error {
  constructor(readonly command: string, readonly exitCode: number | null, readonly stderrTail: string) {
    super(`${command} failed (exit ${exitCode ?? 'signal'})${stderrTail ? `: ${stderrTail}` : ''}`);
    this.name = 'HostCommandError';
  }
}

export interface HostCommandOptions {
  /** run inside this named network namespace (ip netns exec) */
  namespace?: string;
  /** text fed to stdin (iptables-restore, ip -batch) */
  input?: string;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 20_000;

export function runHostCommand(cmd: string, args: readonly string[], opts: HostCommandOptions = {}): Promise<string> {
  const argv = opts.namespace ? ['ip', 'netns', 'exec', opts.namespace, cmd, ...args] : [cmd, ...args];
  const shown = argv.join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', (err) => { clearTimeout(timer); reject(new HostCommandError(shown, null, err.message)); });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else {
        const t = stderr.trim();
        reject(new HostCommandError(shown, code, t.length > STDERR_TAIL_CHARS ? `…${t.slice(-STDERR_TAIL_CHARS)}` : t));
      }
    });
    child.stdin.on('error', () => { /* the command exited before reading stdin; its exit code says why */ });
    child.stdin.end(opts.input ?? '');
  });
}

/** `ip -n <ns>` when a namespace is given, so one call site serves the root namespace and any other. */
export function ipArgs(namespace: string | undefined, args: readonly string[]): string[] {
  return namespace ? ['-n', namespace, ...args] : [...args];
}
