/**
 * A private host namespace for the Linux bridge data path, and guests played
 * by namespaces: each guest's "tap" is the root-namespace end of a veth pair
 * (as QEMU leaves a tap), its other end `eth0` inside the guest's own
 * namespace with the port's MAC and address. Deleting the namespaces removes
 * every bridge, veth and rule the tests made, so `destroy` cleans up all.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { runHostCommand } from '../../../src/network/agents/host-commands.js';
import { deviceNames, type FirewallRule, type HostPortState } from '../../../src/network/agents/state.js';

/** Why the kernel cases cannot run here, or false when they can. */
export function kernelSkipReason(): string | false {
  if (process.getuid?.() !== 0) return 'the Linux bridge data path needs root (network namespaces, bridges, iptables)';
  const probe = `kn-t-probe${randomBytes(3).toString('hex')}`;
  const add = spawnSync('ip', ['netns', 'add', probe]);
  if (add.status !== 0) return `\`ip netns\` does not work here: ${add.stderr?.toString().trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  for (const tool of ['iptables-restore', 'nft', 'busybox', 'nsenter']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  return false;
}

export const randomSuffix = (): string => randomBytes(4).toString('hex');

export interface Guest {
  port: HostPortState;
  namespace: string;
  ip: string;
}

/** Neutron's default group rules with every guest of `members` as the remote group. */
export function defaultGroupRules(memberAddresses: string[]): FirewallRule[] {
  const base = { portRangeMin: null, portRangeMax: null, remoteIpPrefix: null, protocol: null };
  return [
    { ...base, direction: 'ingress', ethertype: 'IPv4', remoteGroupAddresses: memberAddresses },
    { ...base, direction: 'ingress', ethertype: 'IPv6', remoteGroupAddresses: [] },
    { ...base, direction: 'egress', ethertype: 'IPv4', remoteGroupAddresses: null },
    { ...base, direction: 'egress', ethertype: 'IPv6', remoteGroupAddresses: null },
  ];
}

export function tcpRule(port: number, remoteIpPrefix: string | null = null): FirewallRule {
  return { direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', portRangeMin: port, portRangeMax: port, remoteIpPrefix, remoteGroupAddresses: null };
}

export class HostLab {
  readonly hostNamespace = `kn-t-${randomSuffix()}`;
  readonly networkId = randomUUID();
  private readonly guests: Guest[] = [];
  private readonly children: ChildProcess[] = [];
  private readonly extraTaps: string[] = [];

  async create(): Promise<void> {
    await runHostCommand('ip', ['netns', 'add', this.hostNamespace]);
    await runHostCommand('ip', ['-n', this.hostNamespace, 'link', 'set', 'lo', 'up']);
  }

  /** A port's desired state on this lab's network (no rules unless given). */
  portState(ip: string, rules: FirewallRule[] = [], overrides: Partial<HostPortState> = {}): HostPortState {
    const mac = `fa:16:3e:${randomBytes(3).toString('hex').match(/../g)!.join(':')}`;
    return {
      portId: randomUUID(), networkId: this.networkId, macAddress: mac,
      fixedIps: [{ subnetId: 'subnet', ipAddress: ip }], portSecurityEnabled: true, allowedAddressPairs: [],
      rules, mtu: 1450, ...overrides,
    };
  }

  /** Makes the guest side of a port: its tap in the root namespace, its NIC in a namespace of its own. */
  async addGuest(port: HostPortState, prefixLength = 24): Promise<Guest> {
    const namespace = `kn-g-${randomSuffix()}`;
    await runHostCommand('ip', ['netns', 'add', namespace]);
    const guest = { port, namespace, ip: port.fixedIps[0]!.ipAddress };
    this.guests.push(guest);
    const tap = deviceNames.tap(port.portId);
    await runHostCommand('ip', ['link', 'add', tap, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace]);
    await this.guestIp(guest, ['link', 'set', 'lo', 'up']);
    await this.guestIp(guest, ['link', 'set', 'eth0', 'address', port.macAddress, 'mtu', String(port.mtu), 'up']);
    await this.guestIp(guest, ['addr', 'add', `${guest.ip}/${prefixLength}`, 'dev', 'eth0']);
    await runHostCommand('ip', ['link', 'set', tap, 'up']);
    return guest;
  }

  /** A tap alone in the root namespace (no guest behind it), for cases that only wire. */
  async addBareTap(port: HostPortState): Promise<void> {
    const tap = deviceNames.tap(port.portId);
    this.extraTaps.push(tap);
    await runHostCommand('ip', ['tuntap', 'add', 'dev', tap, 'mode', 'tap']);
  }

  /** A tap alone, made in the host namespace: as one the compute manager's wire has already taken in. */
  async addBareTapInHostNamespace(port: HostPortState): Promise<void> {
    const tap = deviceNames.tap(port.portId);
    // An unplug hands it back to the root namespace, where destroy() finds it by name.
    this.extraTaps.push(tap);
    await this.hostIp(['tuntap', 'add', 'dev', tap, 'mode', 'tap']);
  }

  guestIp(guest: Guest, args: string[]): Promise<string> {
    return runHostCommand('ip', ['-n', guest.namespace, ...args]);
  }

  /** Runs busybox inside the guest; resolves to whether it exited 0. */
  async inGuest(guest: Guest, args: string[]): Promise<{ ok: boolean; stdout: string }> {
    try {
      return { ok: true, stdout: await runHostCommand('nsenter', [`--net=/run/netns/${guest.namespace}`, 'busybox', ...args], { timeoutMs: 5000 }) };
    } catch {
      return { ok: false, stdout: '' };
    }
  }

  ping(from: Guest, to: Guest | string): Promise<boolean> {
    const ip = typeof to === 'string' ? to : to.ip;
    return this.inGuest(from, ['ping', '-c', '1', '-W', '1', ip]).then((r) => r.ok);
  }

  /** A TCP server in the guest that answers every connection with a marker line. */
  async listen(guest: Guest, port: number): Promise<void> {
    const child = spawn('nsenter', [`--net=/run/netns/${guest.namespace}`, 'busybox', 'nc', '-ll', '-p', String(port), '-e', '/bin/echo', 'kn-ok'], { stdio: 'ignore' });
    this.children.push(child);
    // Listening is visible from inside the namespace: poll until the socket is there.
    await pollUntil(async () => (await this.inGuest(guest, ['nc', '-w', '1', '127.0.0.1', String(port)])).stdout.includes('kn-ok'), 5000, `listener on ${guest.ip}:${port}`);
  }

  async tcpConnects(from: Guest, to: Guest, port: number): Promise<boolean> {
    const r = await this.inGuest(from, ['nc', '-w', '1', to.ip, String(port)]);
    return r.stdout.includes('kn-ok');
  }

  hostIp(args: string[]): Promise<string> {
    return runHostCommand('ip', ['-n', this.hostNamespace, ...args]);
  }

  iptablesSave(family: 4 | 6 = 4, table = 'filter'): Promise<string> {
    return runHostCommand('nsenter', [`--net=/run/netns/${this.hostNamespace}`, family === 4 ? 'iptables-save' : 'ip6tables-save', '-t', table]);
  }

  /** One chain's rules as the kernel holds them (`iptables -S <chain>`: cheaper than a whole save). */
  chainRules(chain: string, family: 4 | 6 = 4): Promise<string> {
    return runHostCommand('nsenter', [`--net=/run/netns/${this.hostNamespace}`, family === 4 ? 'iptables' : 'ip6tables', '-S', chain]);
  }

  /** conntrack in the host namespace; its exit 1 ("0 flow entries") is an empty answer. */
  async conntrack(args: string[]): Promise<string> {
    try {
      return await runHostCommand('nsenter', [`--net=/run/netns/${this.hostNamespace}`, 'conntrack', ...args]);
    } catch (err) {
      if ((err as { exitCode?: number }).exitCode === 1) return '';
      throw err;
    }
  }

  /** The host namespace's nft table `bridge <name>` as listed, or '' when there is none. */
  async nftTable(name: string): Promise<string> {
    try {
      return await runHostCommand('nsenter', [`--net=/run/netns/${this.hostNamespace}`, 'nft', 'list', 'table', 'bridge', name]);
    } catch {
      return '';
    }
  }

  /**
   * Runs iputils arping inside the guest; resolves to its output whatever its
   * exit (it exits 1 when no reply came, which is an answer here).
   */
  arping(guest: Guest, args: string[]): Promise<string> {
    return new Promise((resolve) => {
      execFile('nsenter', [`--net=/run/netns/${guest.namespace}`, 'arping', ...args], { timeout: 10_000 }, (_err, stdout) => resolve(String(stdout)));
    });
  }

  async ipsetNames(): Promise<string[]> {
    return (await runHostCommand('nsenter', [`--net=/run/netns/${this.hostNamespace}`, 'ipset', 'list', '-n'])).split('\n').filter(Boolean);
  }

  /** Removes every namespace (with its veths, bridges and rules) and tap this lab made. */
  async destroy(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL');
    const quiet = (p: Promise<unknown>) => p.catch(() => undefined);
    for (const g of this.guests) await quiet(runHostCommand('ip', ['netns', 'del', g.namespace]));
    for (const g of this.guests) await quiet(runHostCommand('ip', ['link', 'del', deviceNames.tap(g.port.portId)]));
    for (const tap of this.extraTaps) await quiet(runHostCommand('ip', ['link', 'del', tap]));
    await quiet(runHostCommand('ip', ['netns', 'del', this.hostNamespace]));
  }
}

/** Polls `check` until it is true or the deadline passes (then fails naming `what`). */
export async function pollUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
