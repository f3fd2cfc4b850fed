/**
 * The Linux bridge data path on this host, all inside a private network
 * namespace (no addresses anywhere but in that namespace):
 *
 * Through the API, with an all-in-one (fake compute driver) whose agents run
 * `[network] driver = linuxbridge` in that namespace:
 *
 *   port_wire_ms      PUT binding:host_id answered → the port's tap on its
 *                     network's bridge, its chains in the kernel and its DHCP
 *                     host entry in dnsmasq's file; p50 over 50 ports, all in the
 *                     project's default group. The tap is made in the namespace
 *                     beforehand, as if already taken in: a port change never
 *                     moves a tap from the root namespace (libvirt may still be
 *                     setting it up). The tap is seen joining through
 *                     link events (`ip monitor`), not polled: a poll loop of
 *                     nsenter, sh, ip and iptables kept one of the machine's two
 *                     CPUs busy while the agents wired the port
 *   sg_rule_apply_ms  POST of a TCP rule to that group answered 201 → the rule in
 *                     the kernel (`iptables -S` of the last port's ingress chain);
 *                     p50 over 50 rules with the 50 ports in the group
 *
 * And the driver alone (what the agents' share of those figures is):
 *
 *   port_wire_driver_ms      plugPort with the tap made in the root namespace, as
 *                            QEMU makes it → moved into the namespace and wired
 *   sg_rule_apply_driver_ms  the changed desired state handed to the driver → visible
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { LinuxBridgePortDataPath } from '../src/network/agents/linuxbridge/port-data-path.js';
import { portChains, portKey } from '../src/network/agents/linuxbridge/firewall-rules.js';
import { deviceNames, namespaceNames } from '../src/network/agents/state.js';
import { runHostCommand } from '../src/network/agents/host-commands.js';
import { HostLab, defaultGroupRules, kernelSkipReason, tcpRule } from '../test/network/agents/linuxbridge-lab.js';
import { emit, machineInfo, percentile, round, timeLimit } from './common.js';

const PORTS = 50;
const RULE_CHANGES = 50;
const FIRST_RULE_PORT = 8000;
const VISIBLE_TIMEOUT_MS = 5000;


/** Polls until `done` holds, `intervalMs` between checks; answers the moment it did (performance.now()). */
async function waitUntil(what: string, done: () => Promise<boolean>, remaining: () => unknown, intervalMs = 0): Promise<number> {
  const deadline = performance.now() + VISIBLE_TIMEOUT_MS;
  for (;;) {
    remaining();
    if (await done()) return performance.now();
    if (performance.now() > deadline) throw new Error(`${what}: not after ${VISIBLE_TIMEOUT_MS} ms`);
    if (intervalMs > 0) await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * The moments taps join a bridge, up, in a namespace, from its link events
 * (`ip -o monitor link`): each tap's first event naming a master bridge with
 * the UP flag. The watcher costs nothing between events.
 */
class LinkWatch {
  private readonly child: ChildProcess;
  private readonly joined = new Map<string, number>();
  private readonly waiting = new Map<string, (at: number) => void>();
  private pending = '';

  constructor(namespace: string) {
    this.child = spawn('ip', ['-n', namespace, '-o', 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const at = performance.now();
      const lines = (this.pending + chunk).split('\n');
      this.pending = lines.pop()!;
      for (const line of lines) {
        const m = /^\d+: ([^:@\s]+)(?:@\S+)?: <([^>]*)>.* master (\S+)/.exec(line);
        if (!m || !m[2]!.split(',').includes('UP')) continue;
        const key = `${m[1]} ${m[3]}`;
        if (this.joined.has(key)) continue;
        this.joined.set(key, at);
        this.waiting.get(key)?.(at);
        this.waiting.delete(key);
      }
    });
  }

  /** When `device` was first seen on `bridge` and up (it may have been before the call). */
  joinedAt(device: string, bridge: string): Promise<number> {
    const key = `${device} ${bridge}`;
    const at = this.joined.get(key);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${device} not on ${bridge} after ${VISIBLE_TIMEOUT_MS} ms`)), VISIBLE_TIMEOUT_MS);
      this.waiting.set(key, (t) => { clearTimeout(timer); resolve(t); });
    });
  }

  close(): void {
    this.child.kill();
  }
}

async function chainHas(lab: HostLab, chain: string, needle: string): Promise<boolean> {
  const rules = await lab.chainRules(chain).catch(() => '');
  return rules.split('\n').some((l) => l.startsWith(`-A ${chain} `) && l.includes(needle));
}

/** The driver alone: plugPort per port, then whole desired states with one more rule each. */
async function driverPhase(lab: HostLab, remaining: () => unknown): Promise<{ wire: number[]; apply: number[]; wireCpu: number; applyCpu: number }> {
  const dataPath = new LinuxBridgePortDataPath({ hostNamespace: lab.hostNamespace });
  const ips = Array.from({ length: PORTS }, (_, i) => `10.50.${Math.floor(i / 200)}.${10 + (i % 200)}`);
  const groupRules = defaultGroupRules(ips);
  const ports = ips.map((ip) => lab.portState(ip, groupRules));
  for (const p of ports) await lab.addBareTap(p);
  const wire: number[] = [];
  const wireCpu0 = cpuMs();
  for (const p of ports) {
    remaining();
    const t = performance.now();
    await dataPath.plugPort(p);
    wire.push(performance.now() - t);
  }
  const wireCpu = (cpuMs() - wireCpu0) / PORTS;
  if ((await dataPath.wiredPorts()).length !== PORTS) throw new Error('not every port was wired');
  const watched = portChains(portKey(ports[PORTS - 1]!.portId)).ingress;
  const apply: number[] = [];
  let rules = groupRules;
  const applyCpu0 = cpuMs();
  for (let i = 0; i < RULE_CHANGES; i++) {
    const dport = FIRST_RULE_PORT + i;
    rules = [...rules, tcpRule(dport)];
    const t0 = performance.now();
    await dataPath.syncPorts(ports.map((p) => ({ ...p, rules })));
    apply.push((await waitUntil(`rule ${dport}`, () => chainHas(lab, watched, `--dport ${dport} `), remaining)) - t0);
  }
  for (const p of ports) await dataPath.unplugPort(p.portId);
  return { wire, apply, wireCpu, applyCpu: (cpuMs() - applyCpu0) / RULE_CHANGES };
}

/** API → kernel: an all-in-one whose agents drive the lab's namespace. */
async function apiPhase(lab: HostLab, remaining: () => unknown): Promise<{ wire: number[]; apply: number[] }> {
  const { startTestCloud } = await import('../test/helpers/cloud.js');
  // dnsmasq re-reads its hosts file as nobody: the state path must be searchable, as a real one is (mkdtemp makes 0700).
  const statePath = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-bench-network-'));
  fs.chmodSync(statePath, 0o755);
  const cloud = await startTestCloud({ network: { driver: 'linuxbridge' }, linuxbridge: { host_namespace: lab.hostNamespace } }, { statePath });
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await cloud.request(method, `/network/v2.0${path}`, { body });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json;
  };
  let networkId = '';
  let links: LinkWatch | undefined;
  const portIds: string[] = [];
  try {
    const host = cloud.hosts[0]!.host;
    networkId = (await api('POST', '/networks', { network: { name: 'bench-net' } })).network.id;
    await api('POST', '/subnets', { subnet: { network_id: networkId, ip_version: 4, cidr: '10.60.0.0/22' } });
    const hostsFile = path.join(cloud.statePath, 'network', 'dhcp', networkId, 'host');
    links = new LinkWatch(lab.hostNamespace);
    // Events flow once the watcher's socket is subscribed: a probe bridge coming up says it is.
    const probe = `knprobe${process.pid % 100000}`;
    await lab.hostIp(['link', 'add', 'name', `${probe}br`, 'type', 'bridge']);
    await lab.hostIp(['link', 'add', 'name', probe, 'type', 'veth', 'peer', 'name', `${probe}p`]);
    const probed = links.joinedAt(probe, `${probe}br`);
    await lab.hostIp(['link', 'set', 'dev', probe, 'master', `${probe}br`, 'up']);
    await probed;
    await lab.hostIp(['link', 'del', 'dev', probe]);
    await lab.hostIp(['link', 'del', 'dev', `${probe}br`]);
    const wire: number[] = [];
    let groupId = '';
    let lastIngress = '';
    for (let i = 0; i < PORTS; i++) {
      const port = (await api('POST', '/ports', { port: { network_id: networkId, device_owner: 'compute:nova', device_id: randomUUID() } })).port;
      portIds.push(port.id);
      groupId = port.security_groups[0];
      await lab.addBareTapInHostNamespace(lab.portState('0.0.0.0', [], { portId: port.id }));
      await api('PUT', `/ports/${port.id}`, { port: { 'binding:host_id': host } });
      const t0 = performance.now();
      const tap = deviceNames.tap(port.id);
      const bridge = deviceNames.bridge(networkId);
      lastIngress = portChains(portKey(port.id)).ingress;
      // Each of the three is only ever added meanwhile: the port is wired from the moment the last of them was seen.
      const seen = await Promise.all([
        links.joinedAt(tap, bridge),
        waitUntil(`port ${port.id}'s chains`, () => lab.chainRules(lastIngress).then(() => true, () => false), remaining),
        waitUntil(`port ${port.id}'s DHCP entry`, async () => (await fs.promises.readFile(hostsFile, 'utf8').catch(() => '')).includes(port.mac_address), remaining, 1),
      ]);
      wire.push(Math.max(0, ...seen.map((at) => at - t0)));
    }
    const apply: number[] = [];
    for (let i = 0; i < RULE_CHANGES; i++) {
      const dport = FIRST_RULE_PORT + i;
      await api('POST', '/security-group-rules', { security_group_rule: {
        security_group_id: groupId, direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: dport, port_range_max: dport,
      } });
      const t0 = performance.now();
      apply.push((await waitUntil(`rule ${dport}`, () => chainHas(lab, lastIngress, `--dport ${dport} `), remaining)) - t0);
    }
    return { wire, apply };
  } finally {
    links?.close();
    // The agents take down what the network had (dnsmasq, its namespace) before the cloud stops.
    for (const id of portIds) await api('DELETE', `/ports/${id}`).catch(() => undefined);
    // The cloud's own network (`private`) has a DHCP namespace too, which a stopped agent leaves for its next start.
    const networkIds: string[] = (await api('GET', '/networks').catch(() => ({ networks: [] }))).networks.map((n: { id: string }) => n.id);
    for (const id of networkIds) await api('DELETE', `/networks/${id}`).catch(() => undefined);
    const gone = async () => {
      const left = await runHostCommand('ip', ['netns', 'list']);
      return !networkIds.some((id) => left.includes(namespaceNames.dhcp(id)));
    };
    await waitUntil('the DHCP namespaces removed', gone, () => undefined).catch(() => undefined);
    await cloud.close();
    fs.rmSync(statePath, { recursive: true, force: true });
  }
}

/**
 * CPU time this process and its children (ip, iptables-restore, ... started
 * by the host command companion, itself a child) have used, in ms: on a
 * shared machine the wall-clock figures wait for CPUs, this says what the
 * work itself costs.
 */
function cpuMs(): number {
  let ticks = cpuTicks('self');
  // A live child's reaped children are in its own stat, not in ours yet.
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    const fields = statFields(pid);
    if (fields && Number(fields[1]) === process.pid) ticks += cpuTicks(pid);
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_S;
}

/** /proc/<pid>/stat after the command name (state, ppid, ...), or null once it is gone. */
function statFields(pid: string): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  } catch {
    return null;
  }
}

function cpuTicks(pid: string): number {
  const fields = statFields(pid);
  // utime, stime, cutime, cstime are fields 14-17 of stat, 12-15 after the command name.
  return fields ? [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) : 0;
}
const CLOCK_TICKS_PER_S = 100;

export async function runNetworkBench(): Promise<void> {
  const skip = kernelSkipReason();
  if (skip) {
    process.stderr.write(`network benchmark cannot run: ${skip}\n`);
    process.exitCode = 2;
    return;
  }
  const remaining = timeLimit(170_000);
  const lab = new HostLab();
  try {
    await lab.create();
    const driver = await driverPhase(lab, remaining);
    const viaApi = await apiPhase(lab, remaining);
    emit({
      port_wire_ms: round(percentile(viaApi.wire, 50)),
      port_wire_max_ms: round(Math.max(...viaApi.wire)),
      sg_rule_apply_ms: round(percentile(viaApi.apply, 50)),
      sg_rule_apply_max_ms: round(Math.max(...viaApi.apply)),
      port_wire_driver_ms: round(percentile(driver.wire, 50)),
      sg_rule_apply_driver_ms: round(percentile(driver.apply, 50)),
      port_wire_driver_cpu_ms: round(driver.wireCpu),
      sg_rule_apply_driver_cpu_ms: round(driver.applyCpu),
      load_avg_1m: round(os.loadavg()[0]!, 2),
      ports: PORTS,
      rule_changes: RULE_CHANGES,
      machine: machineInfo(),
    });
  } finally {
    await lab.destroy();
  }
}
