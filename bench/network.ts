/**
 * The Linux bridge data path on this host, all inside a private network
 * namespace (taps made in the root namespace, as QEMU makes them, and moved
 * there by the data path; no addresses anywhere but in that namespace):
 *
 *   port_wire_ms      plugPort with the tap already there → tap on its bridge
 *                     with its chains in the kernel; p50 over 50 ports, each in
 *                     one group of those 50 ports (Neutron's default rules)
 *   sg_rule_apply_ms  a TCP rule added to that group's rules → the rule visible
 *                     in the kernel (`iptables -S` of the last port's ingress
 *                     chain in the namespace); p50 over 50 rule changes
 *
 * The clock of sg_rule_apply_ms starts where a RuleChangeSource says the change
 * was accepted. Today's source hands the changed desired state straight to the
 * driver; once the agent is wired to the API, a source that POSTs the rule and
 * returns when the 201 arrives measures API → kernel instead.
 */
import fs from 'node:fs';
import os from 'node:os';
import { LinuxBridgePortDataPath } from '../src/network/agents/linuxbridge/port-data-path.js';
import { portChains, portKey } from '../src/network/agents/linuxbridge/firewall-rules.js';
import type { FirewallRule, HostPortState } from '../src/network/agents/state.js';
import { HostLab, defaultGroupRules, kernelSkipReason, tcpRule } from '../test/network/agents/linuxbridge-lab.js';
import { emit, machineInfo, percentile, round, timeLimit } from './common.js';

const PORTS = 50;
const RULE_CHANGES = 50;
const FIRST_RULE_PORT = 8000;
const VISIBLE_TIMEOUT_MS = 5000;

/**
 * Where a security group rule change enters the system. `submit` makes the
 * group's rules `rules` and resolves with the moment (performance.now()) the
 * change counts as accepted, from which sg_rule_apply_ms is measured.
 */
export interface RuleChangeSource {
  submit(rules: FirewallRule[]): Promise<number>;
}

/** The seam as it stands: the agent's side alone, handing the whole desired state to the driver. */
function driverRuleChangeSource(dataPath: LinuxBridgePortDataPath, ports: HostPortState[]): RuleChangeSource {
  return {
    async submit(rules) {
      const t0 = performance.now();
      await dataPath.syncPorts(ports.map((p) => ({ ...p, rules })));
      return t0;
    },
  };
}

async function waitVisible(lab: HostLab, chain: string, needle: string, remaining: () => unknown): Promise<number> {
  const deadline = performance.now() + VISIBLE_TIMEOUT_MS;
  for (;;) {
    remaining();
    const rules = await lab.chainRules(chain);
    if (rules.split('\n').some((l) => l.startsWith(`-A ${chain} `) && l.includes(needle))) return performance.now();
    if (performance.now() > deadline) throw new Error(`${needle} not in ${chain} after ${VISIBLE_TIMEOUT_MS} ms`);
  }
}

/**
 * CPU time this process and its reaped children (ip, iptables-restore, ...)
 * have used, in ms: on a shared machine the wall-clock figures wait for CPUs,
 * this says what the work itself costs.
 */
function cpuMs(): number {
  const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // utime, stime, cutime, cstime are fields 14-17 of stat, 12-15 after the command name.
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  return (ticks * 1000) / CLOCK_TICKS_PER_S;
}
const CLOCK_TICKS_PER_S = 100;

export async function runNetworkBench(source?: (dataPath: LinuxBridgePortDataPath, ports: HostPortState[]) => RuleChangeSource): Promise<void> {
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

    const changes = (source ?? driverRuleChangeSource)(dataPath, ports);
    const watched = portChains(portKey(ports[PORTS - 1]!.portId)).ingress;
    const apply: number[] = [];
    let rules = groupRules;
    const applyCpu0 = cpuMs();
    for (let i = 0; i < RULE_CHANGES; i++) {
      const dport = FIRST_RULE_PORT + i;
      rules = [...rules, tcpRule(dport)];
      const t0 = await changes.submit(rules);
      apply.push((await waitVisible(lab, watched, `--dport ${dport} `, remaining)) - t0);
    }
    const applyCpu = (cpuMs() - applyCpu0) / RULE_CHANGES;
    emit({
      port_wire_ms: round(percentile(wire, 50)),
      port_wire_max_ms: round(Math.max(...wire)),
      sg_rule_apply_ms: round(percentile(apply, 50)),
      sg_rule_apply_max_ms: round(Math.max(...apply)),
      port_wire_cpu_ms: round(wireCpu),
      sg_rule_apply_cpu_ms: round(applyCpu),
      load_avg_1m: round(os.loadavg()[0]!, 2),
      ports: PORTS,
      rule_changes: RULE_CHANGES,
      measured_from: source ? 'custom source' : 'desired state handed to the driver',
      machine: machineInfo(),
    });
  } finally {
    await lab.destroy();
  }
}
