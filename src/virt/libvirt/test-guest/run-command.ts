/**
 * Runs the host tools the test-guest build needs (apt, dpkg-deb, mke2fs,
 * qemu-img, xz). Always an argument array, never a shell, and a failure
 * becomes a TestGuestBuildError carrying the tail of stderr so the reason
 * a build broke is visible in the test output rather than lost.
 */
import { spawn } from 'node:child_process';

const STDERR_TAIL_CHARS = 2000;

export class TestGuestBuildError extends Error {
  constructor(
    message: string,
    /** the build step that failed, e.g. 'apt-get download' */
    readonly step: string,
    /** last part of the failing command's stderr ('' when not a command failure) */
    readonly stderrTail = '',
  ) {
    super(stderrTail ? `${message}: ${stderrTail}` : message);
    this.name = 'TestGuestBuildError';
  }
}

export interface CommandResult {
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  /** bytes fed to the command's stdin */
  input?: Buffer;
  timeoutMs?: number;
  /** collect stdout as a Buffer instead of text (decompression) */
  binaryStdout?: boolean;
}

function tail(text: string): string {
  const t = text.trim();
  return t.length > STDERR_TAIL_CHARS ? `…${t.slice(-STDERR_TAIL_CHARS)}` : t;
}

/** Runs `cmd args…`; resolves with its output, rejects with TestGuestBuildError on failure. */
export function runCommand(cmd: string, args: string[], opts: RunOptions = {}): Promise<CommandResult & { stdoutBuffer: Buffer }> {
  const step = `${cmd} ${args[0] ?? ''}`.trim();
  return new Promise((resolve, reject) => {
    // LC_ALL=C: apt-cache and friends are parsed, so their output must not be translated.
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 300_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why = e.code === 'ENOENT' ? `${cmd} is not installed` : `${cmd} could not be started (${e.message})`;
      reject(new TestGuestBuildError(why, step));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBuffer = Buffer.concat(out);
      const stderr = Buffer.concat(err).toString('utf8');
      const stdout = opts.binaryStdout ? '' : stdoutBuffer.toString('utf8');
      if (code === 0) return resolve({ stdout, stderr, stdoutBuffer });
      const how = timedOut ? 'timed out' : signal ? `was killed by ${signal}` : `exited with status ${code}`;
      reject(new TestGuestBuildError(`${cmd} ${args.join(' ')} ${how}`, step, tail(stderr || stdout)));
    });
    // EPIPE when the command exits without reading all input is reported through 'close'.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? Buffer.alloc(0));
  });
}
