/**
 * A dnsmasq daemon, found again through its pid file (as Neutron's process
 * manager does): started inside a namespace, told to re-read its files with
 * SIGHUP, stopped with SIGTERM. A pid is only trusted when /proc shows a live
 * dnsmasq that names the same pid file, so a recycled pid is never signalled.
 */
import fs from 'node:fs';
import { runHostCommand } from '../host-commands.js';

const START_DEADLINE_MS = 5_000;
const STOP_DEADLINE_MS = 5_000;
const POLL_MS = 10;

function readPid(pidFile: string): number | null {
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** The argv of a live (not zombie) process, or null. */
function liveCmdline(pid: number): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the parenthesised command name, which may itself contain spaces.
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return null;
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (argv[argv.length - 1] === '') argv.pop();
    return argv;
  } catch {
    return null;
  }
}

export interface RunningDnsmasq {
  pid: number;
  argv: string[];
}

/** The dnsmasq serving from this pid file, when one is alive. */
export function findDnsmasq(pidFile: string): RunningDnsmasq | null {
  const pid = readPid(pidFile);
  if (pid === null) return null;
  const argv = liveCmdline(pid);
  if (!argv || !argv.includes(`--pid-file=${pidFile}`)) return null;
  return { pid, argv };
}

export function sameArgv(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((arg, i) => arg === b[i]);
}

async function poll(deadlineMs: number, done: () => boolean): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return true;
}

/** Starts dnsmasq in the namespace; it daemonizes once its sockets are bound. Returns its pid. */
export async function startDnsmasq(namespace: string, argv: readonly string[], pidFile: string): Promise<number> {
  fs.rmSync(pidFile, { force: true });
  await runHostCommand(argv[0]!, argv.slice(1), { namespace });
  let found: RunningDnsmasq | null = null;
  if (!(await poll(START_DEADLINE_MS, () => (found = findDnsmasq(pidFile)) !== null))) {
    throw new Error(`dnsmasq for ${namespace} exited or wrote no pid file ${pidFile}`);
  }
  return found!.pid;
}

/** Signals a pid; false when it has exited meanwhile. */
function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** Makes dnsmasq re-read its hosts, additional hosts and options files; false when it is not running. */
export function reloadDnsmasq(pid: number): boolean {
  return signal(pid, 'SIGHUP');
}

/** Stops the dnsmasq of this pid file, if any, and waits until it is gone. */
export async function stopDnsmasq(pidFile: string): Promise<void> {
  const running = findDnsmasq(pidFile);
  if (running) {
    const gone = () => liveCmdline(running.pid) === null;
    signal(running.pid, 'SIGTERM');
    if (!(await poll(STOP_DEADLINE_MS, gone))) {
      signal(running.pid, 'SIGKILL');
      await poll(STOP_DEADLINE_MS, gone);
    }
  }
  fs.rmSync(pidFile, { force: true });
}
