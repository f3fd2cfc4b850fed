/**
 * Runs the kernel tools the network agents drive (ip, iptables-restore,
 * dnsmasq, sysctl): an argument array, never a shell, optionally inside a
 * network namespace, started from a small companion process
 * (host-command-runner.ts). A failure becomes a HostCommandError with the
 * command and the tail of its stderr, for logs; it never reaches an API fault.
 */
import { runCommand } from './host-command-runner.js';

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

export async function runHostCommand(cmd: string, args: readonly string[], opts: HostCommandOptions = {}): Promise<string> {
  const argv = opts.namespace ? ['ip', 'netns', 'exec', opts.namespace, cmd, ...args] : [cmd, ...args];
  const outcome = await runCommand({ argv, input: opts.input ?? '', timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  if (outcome.code === 0) return outcome.stdout;
  const shown = argv.join(' ');
  if (outcome.startError !== undefined) throw new HostCommandError(shown, null, outcome.startError);
  const t = outcome.stderr.trim();
  throw new HostCommandError(shown, outcome.code, t.length > STDERR_TAIL_CHARS ? `…${t.slice(-STDERR_TAIL_CHARS)}` : t);
}

/** `ip -n <ns>` when a namespace is given, so one call site serves the root namespace and any other. */
export function ipArgs(namespace: string | undefined, args: readonly string[]): string[] {
  return namespace ? ['-n', namespace, ...args] : [...args];
}
