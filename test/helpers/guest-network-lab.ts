/**
 * A private network for real guests in tests, built so nothing of it ever
 * exists in the machine's root namespace (these machines must never send
 * to an address outside themselves):
 *
 *   - a "host" namespace `kn-t-<random>` holding a bridge, standing for a
 *     compute host's data path;
 *   - "outside" namespaces `kn-t-<random>-<role>`, each joined to that bridge
 *     by a veth pair (a DHCP server, the outside world of an external network);
 *   - guest taps, which libvirt creates in the root namespace, moved onto the
 *     bridge once QEMU holds them (QEMU keeps its file descriptor).
 *
 * Daemons started through the lab (dnsmasq, httpd) are its children and are
 * killed by dispose(), which also deletes every namespace it made; call it
 * from an after hook so a failed test leaves nothing behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ipArgs, runHostCommand } from '../../src/network/agents/host-commands.js';

/** Every lab name starts with this, so a leftover is recognisable (and nothing else is). */
export const LAB_NAME_PREFIX = 'kn-t-';

export interface LabDaemon {
  readonly namespace: string;
  readonly process: ChildProcess;
  /** everything it wrote to stdout and stderr so far, for failure messages */
  output(): string;
  stop(): Promise<void>;
}

export interface OutsideNamespace {
  readonly name: string;
  /** its end of the veth pair (the host end is on the lab bridge) */
  readonly device: string;
}

/** Runs `cmd` inside namespace `ns` (`ip netns exec`) and returns its stdout. */
export function runInNamespace(ns: string, cmd: string, args: readonly string[], timeoutMs?: number): Promise<string> {
  return runHostCommand(cmd, args, { namespace: ns, ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = new AbortController();
  const late = sleep(3000, 'late' as const, { signal: timer.signal }).catch(() => 'aborted' as const);
  if ((await Promise.race([exited.then(() => 'exited' as const), late])) === 'late') {
    child.kill('SIGKILL');
    await exited;
  }
  timer.abort();
}

export class GuestNetworkLab {
  /** the bridge inside the host namespace every guest and outside namespace joins */
  readonly bridge = 'br-lab';
  private readonly namespaces: string[] = [];
  private readonly everyNamespace: string[] = [];
  private readonly daemons: LabDaemon[] = [];
  private outsideCount = 0;

  private constructor(readonly hostNamespace: string) {}

  /** Makes the host namespace (unique name) with its bridge, up. */
  static async create(): Promise<GuestNetworkLab> {
    const lab = new GuestNetworkLab(`${LAB_NAME_PREFIX}${randomBytes(4).toString('hex')}`);
    await lab.addNamespace(lab.hostNamespace);
    const ns = lab.hostNamespace;
    await runHostCommand('ip', ipArgs(ns, ['link', 'add', lab.bridge, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0']));
    await runHostCommand('ip', ipArgs(ns, ['link', 'set', 'dev', lab.bridge, 'up']));
    return lab;
  }

  private async addNamespace(name: string): Promise<void> {
    await runHostCommand('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    this.everyNamespace.push(name);
    await runHostCommand('ip', ipArgs(name, ['link', 'set', 'dev', 'lo', 'up']));
  }

  /**
   * A namespace of its own joined to the bridge (the lab's, or another one
   * in the host namespace, such as a network's brq-), its end named `eth0`
   * and holding `addresses` (CIDR). Both veth ends are created inside lab
   * namespaces, so the root namespace never sees them.
   */
  async addOutsideNamespace(role: string, addresses: readonly string[], bridge = this.bridge): Promise<OutsideNamespace> {
    if (!/^[a-z0-9]{1,8}$/.test(role)) throw new Error(`role ${JSON.stringify(role)}: 1-8 lowercase letters or digits`);
    const name = `${this.hostNamespace}-${role}`;
    await this.addNamespace(name);
    const hostEnd = `lab-o${this.outsideCount++}`;
    const device = 'eth0';
    await runHostCommand('ip', ipArgs(this.hostNamespace, ['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', device, 'netns', name]));
    await runHostCommand('ip', ipArgs(this.hostNamespace, ['link', 'set', 'dev', hostEnd, 'master', bridge, 'up']));
    for (const a of addresses) await runHostCommand('ip', ipArgs(name, ['addr', 'add', a, 'dev', device]));
    await runHostCommand('ip', ipArgs(name, ['link', 'set', 'dev', device, 'up']));
    return { name, device };
  }

  /** Every namespace this lab has made, deleted or not. */
  namespaceNames(): string[] {
    return [...this.everyNamespace];
  }

  /**
   * Moves a guest's tap from the root namespace into the host namespace,
   * onto the lab bridge unless `onBridge` is false (a NIC wired to nothing).
   * The move takes the link down, so it is brought up again.
   */
  async adoptTap(tap: string, { onBridge = true, timeoutMs = 10_000 }: { onBridge?: boolean; timeoutMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await runHostCommand('ip', ['link', 'show', 'dev', tap]);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`tap ${tap} did not appear in the root namespace within ${timeoutMs} ms: ${String(err)}`);
        await sleep(100);
      }
    }
    await runHostCommand('ip', ['link', 'set', 'dev', tap, 'netns', this.hostNamespace]);
    const master = onBridge ? ['master', this.bridge] : [];
    await runHostCommand('ip', ipArgs(this.hostNamespace, ['link', 'set', 'dev', tap, ...master, 'up']));
  }

  /**
   * Starts a long-running program inside `ns` as a child of the test
   * process (so it must stay in the foreground); dispose() stops it.
   */
  startDaemon(ns: string, cmd: string, args: readonly string[]): LabDaemon {
    if (!this.namespaces.includes(ns)) throw new Error(`${ns} is not one of this lab's namespaces`);
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.on('error', (e) => { out += `\nspawn failed: ${e.message}`; });
    const daemon: LabDaemon = { namespace: ns, process: child, output: () => out, stop: () => stopChild(child) };
    this.daemons.push(daemon);
    return daemon;
  }

  /** Stops every daemon and deletes every namespace (and so the bridge, veths and adopted taps in them). */
  async dispose(): Promise<void> {
    const errors: string[] = [];
    for (const d of this.daemons.splice(0)) await d.stop().catch((e: Error) => errors.push(e.message));
    for (const ns of this.namespaces.splice(0).reverse()) {
      await runHostCommand('ip', ['netns', 'delete', ns]).catch((e: Error) => errors.push(e.message));
    }
    if (errors.length > 0) throw new Error(`guest network lab cleanup: ${errors.join('; ')}`);
  }
}

/** Names of the network namespaces that exist right now. */
export async function existingNamespaces(): Promise<string[]> {
  const out = await runHostCommand('ip', ['netns', 'list']);
  return out.split('\n').map((l) => l.trim().split(' ')[0]!).filter(Boolean);
}

/**
 * Polls `read` (a guest's console log) until every marker is in it, and
 * returns the log; fails after the deadline with the markers still missing
 * and the log's tail.
 */
export async function waitForConsoleMarkers(
  read: () => Promise<string>,
  markers: ReadonlyArray<string | RegExp>,
  timeoutMs: number,
  pollMs = 250,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  const present = (log: string, m: string | RegExp) => (typeof m === 'string' ? log.includes(m) : m.test(log));
  for (;;) {
    const log = await read();
    const missing = markers.filter((m) => !present(log, m));
    if (missing.length === 0) return log;
    if (Date.now() > deadline) {
      throw new Error(`console lacks ${missing.map(String).join(', ')} after ${timeoutMs} ms; tail:\n${log.slice(-3000)}`);
    }
    await sleep(pollMs);
  }
}

/** Polls `ss` inside `ns` until something listens on `port` (udp or tcp), so a test never races a daemon's startup. */
export async function waitForListener(ns: string, proto: 'udp' | 'tcp', port: number, timeoutMs = 10_000, daemon?: LabDaemon): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await runInNamespace(ns, 'ss', ['-H', '-n', '-l', proto === 'udp' ? '-u' : '-t', 'sport', '=', `:${port}`]);
    if (out.trim() !== '') return;
    if (daemon && daemon.process.exitCode !== null) throw new Error(`the daemon exited before listening on ${proto}/${port}:\n${daemon.output()}`);
    if (Date.now() > deadline) throw new Error(`nothing listens on ${proto}/${port} in ${ns} after ${timeoutMs} ms${daemon ? `:\n${daemon.output()}` : ''}`);
    await sleep(100);
  }
}
