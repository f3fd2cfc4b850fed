/**
 * Real guests on real networks, end to end: the all-in-one with the libvirt
 * driver (QEMU TCG) and `[network] driver = linuxbridge`, every resource made
 * through the real `openstack` CLI, and what each guest sees read from its
 * console log (its user data runs busybox ping, wget and nc and prints
 * markers). The whole data path lives in a namespace of the test's own
 * (`[linuxbridge] host_namespace`): no guest address ever exists in the
 * machine's root namespace. "Outside" is another namespace on the external
 * network's bridge; a "probe" namespace on the first network's bridge stands
 * for a host that is not in the guests' security group.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAIN_JS, logProblems, startCloudProcess, type CloudProcess } from '../../helpers/cloud.js';
import { openstackCli, skipWithoutOpenstackCli } from '../../helpers/openstack-cli.js';
import { libvirtDomainUuids, skipWithoutLibvirt, testGuestDir, uniqueInstanceNameTemplate, virsh } from '../../helpers/libvirt.js';
import { GuestNetworkLab, existingNamespaces, runInNamespace, waitForConsoleMarkers } from '../../helpers/guest-network-lab.js';
import { TEST_GUEST_MARKERS } from '../../../src/virt/libvirt/test-guest/build.js';
import { ensureBridge } from '../../../src/network/agents/bridges.js';
import { deviceNames, namespaceNames } from '../../../src/network/agents/state.js';
import { ipArgs, runHostCommand } from '../../../src/network/agents/host-commands.js';

const skip = skipWithoutLibvirt || skipWithoutOpenstackCli || (process.getuid?.() !== 0 ? 'needs root (network namespaces)' : false);

const NET1 = { cidr: '10.91.1.0/24', gateway: '10.91.1.1', pool: ['10.91.1.10', '10.91.1.200'], probe: '10.91.1.250' };
const NET2 = { cidr: '10.91.2.0/24', gateway: '10.91.2.1', pool: ['10.91.2.10', '10.91.2.200'] };
/** The "world" behind the external network: its router is the outside namespace. */
const EXT = { cidr: '198.51.100.0/24', outside: '198.51.100.1', pool: ['198.51.100.10', '198.51.100.100'] };
const SERVICE_PORT = 8080;
const OUTSIDE_HTTP = 8000;

function kilonova(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [MAIN_JS, ...args], { timeout: 15 * 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kilonova ${args.join(' ')} failed:\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Shell lines every guest's user data starts with: a TCP service that names the guest, and a ping with retries. */
const GUEST_PRELUDE = (name: string) => `#!/bin/sh
( while true; do echo from-${name} | nc -l -p ${SERVICE_PORT}; done ) &
reach() { i=0; while [ $i -lt $2 ]; do ping -c1 -W1 $1 >/dev/null 2>&1 && return 0; i=$((i+1)); done; return 1; }
outside() { timeout 3 wget -qO- http://${EXT.outside}:${OUTSIDE_HTTP}/cgi-bin/addr 2>/dev/null | head -n1; }
`;

/** Prints `E2E <name>-<what>=<value>` each time the value changes: how a guest reports what it sees over time. */
const WATCH_LOOP = (name: string, checks: Array<{ what: string; cmd: string }>) => {
  const last = (what: string) => `last_${what.replace(/\W/g, '_')}`;
  return `
( ${checks.map((c) => `${last(c.what)}=`).join('; ')}
  while true; do
${checks.map((c) => `    v=$(${c.cmd}); [ -n "$v" ] || v=none
    if [ "$v" != "$${last(c.what)}" ]; then echo "E2E ${name}-${c.what}=$v"; ${last(c.what)}=$v; fi`).join('\n')}
    sleep 1
  done ) &
`;
};

describe('guest networking: DHCP, metadata, security groups, routers and floating IPs (libvirt, linuxbridge)', { skip, timeout: 1_200_000 }, () => {
  let statePath: string;
  let cloud: CloudProcess | undefined;
  let lab: GuestNetworkLab;
  let hostNs: string;
  const cli = openstackCli(() => statePath);
  let cloudNetworks: string[] = [];
  const ids: { net1: string; net2: string; ext: string; subnet1: string; subnet2: string; router: string; fip: string; fipAddress: string } = {
    net1: '', net2: '', ext: '', subnet1: '', subnet2: '', router: '', fip: '', fipAddress: '',
  };
  const guests: Record<'a' | 'b' | 'c', { id: string; ip: string; port: string; mac: string }> = {
    a: { id: '', ip: '', port: '', mac: '' }, b: { id: '', ip: '', port: '', mac: '' }, c: { id: '', ip: '', port: '', mac: '' },
  };
  let probeNs = '';
  let outsideNs = '';

  // One template for the first start and the restart: the restarted cloud must find the same domains.
  const nameTemplate = uniqueInstanceNameTemplate();
  const env = () => ({
    KILONOVA_LIBVIRT__VIRT_TYPE: 'qemu',
    KILONOVA_DEFAULT__INSTANCE_NAME_TEMPLATE: nameTemplate,
    KILONOVA_NETWORK__DRIVER: 'linuxbridge',
    KILONOVA_LINUXBRIDGE__HOST_NAMESPACE: hostNs,
    KILONOVA_NEUTRON__METADATA_PROXY_SHARED_SECRET: 'e2e-metadata-secret',
    KILONOVA_DEFAULT__SHUTDOWN_TIMEOUT: '5',
  });

  const startCloud = () => startCloudProcess({ statePath, args: ['--driver', 'libvirt'], env: env() });
  const demo = (args: string[], timeoutMs?: number) => cli.json('kilonova-demo', args, timeoutMs);
  const admin = (args: string[], timeoutMs?: number) => cli.json('kilonova', args, timeoutMs);
  const consoleOf = (id: string) => async () => fs.promises.readFile(path.join(statePath, 'instances', id, 'console.log'), 'utf8').catch(() => '');
  const waitConsole = (id: string, markers: Array<string | RegExp>, timeoutMs = 180_000) => waitForConsoleMarkers(consoleOf(id), markers, timeoutMs);

  /** Whether a TCP connection from `ns` to ip:port answers with the guest's greeting within a second. */
  async function connects(ns: string, ip: string): Promise<boolean> {
    const out = await runInNamespace(ns, 'busybox', ['nc', '-w', '1', ip, String(SERVICE_PORT)], 5000).catch(() => '');
    return /^from-/.test(out.trim());
  }

  async function pings(ns: string, ip: string): Promise<boolean> {
    return runInNamespace(ns, 'busybox', ['ping', '-c', '1', '-W', '1', ip], 5000).then(() => true, () => false);
  }

  /** Polls until `probe` gives `want`, or fails with what it last saw. */
  async function eventually(what: string, probe: () => Promise<boolean>, want: boolean, timeoutMs: number): Promise<number> {
    const started = Date.now();
    for (;;) {
      if ((await probe()) === want) return Date.now() - started;
      if (Date.now() - started > timeoutMs) assert.fail(`${what}: still ${!want} after ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /** The kernel state the agents made, as sorted lines, for before/after comparisons. */
  async function dataPathSnapshot(): Promise<string[]> {
    const lines: string[] = [];
    const links = await runHostCommand('ip', ipArgs(hostNs, ['-o', 'link', 'show']));
    for (const l of links.split('\n')) {
      const m = /^\d+:\s+([^:@]+)[^]*?(?:master (\S+))?\s+state/.exec(l);
      if (m && /^(brq|tap)/.test(m[1]!)) lines.push(`link ${m[1]} master=${/master (\S+)/.exec(l)?.[1] ?? '-'}`);
    }
    const rules = await runInNamespace(hostNs, 'iptables-save', []);
    for (const l of rules.split('\n')) if (/^(:neutron|-A neutron)/.test(l)) lines.push(`iptables ${l.replace(/\[\d+:\d+\]/, '')}`);
    const wanted = [namespaceNames.dhcp(ids.net1), namespaceNames.router(ids.router)];
    for (const ns of (await existingNamespaces()).filter((n) => wanted.includes(n))) {
      lines.push(`netns ${ns}`);
      const addrs = await runHostCommand('ip', ipArgs(ns, ['-o', '-4', 'addr', 'show']));
      for (const a of addrs.split('\n').filter(Boolean)) lines.push(`addr ${ns} ${a.split(/\s+/).slice(1, 4).join(' ')}`);
    }
    const nat = await runInNamespace(namespaceNames.router(ids.router), 'nft', ['list', 'ruleset']).catch(() => '');
    for (const l of nat.split('\n').map((x) => x.trim()).filter(Boolean)) lines.push(`nft ${l}`);
    return lines.sort();
  }

  async function bootGuest(name: 'a' | 'b' | 'c', userData: string): Promise<void> {
    const file = path.join(statePath, `user-data-${name}.sh`);
    fs.writeFileSync(file, userData);
    const server = await demo([
      'server', 'create', '--image', 'kilonova-test-guest', '--flavor', 'm1.tiny', '--nic', `port-id=${guests[name].port}`,
      '--user-data', file, '--wait', `e2e-${name}`,
    ], 300_000);
    assert.equal(server.status, 'ACTIVE');
    guests[name].id = server.id;
  }

  /** The set-up below, its failure carrying the cloud's warnings and errors: CI keeps nothing else of a run. */
  before(async () => {
    try {
      await setUp();
    } catch (err) {
      const faults = await Promise.all((['a', 'b', 'c'] as const).map(async (name) => {
        const show = await demo(['server', 'show', `e2e-${name}`]).catch(() => undefined);
        return show ? `e2e-${name}: ${show.status} ${JSON.stringify(show.fault ?? null)}` : `e2e-${name}: none`;
      }));
      throw new Error(`${(err as Error).message}\nservers:\n${faults.join('\n')}\ncloud warnings and errors:\n${cloud ? logProblems(cloud.stderr()) : '(no cloud)'}`);
    }
  });

  async function setUp(): Promise<void> {
    statePath = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-guest-net-'));
    // dnsmasq reads its hosts file as nobody, as a state path on a real host allows (mkdtemp makes 0700).
    fs.chmodSync(statePath, 0o755);
    lab = await GuestNetworkLab.create();
    hostNs = lab.hostNamespace;
    cloud = await startCloud();
    await kilonova(['image', 'build-test-guest', '--state-path', statePath, '--output-dir', testGuestDir()]);
    // The cloud's own networks ('private'), whose DHCP namespaces the cleanup removes too.
    cloudNetworks = ((await admin(['network', 'list'])) as Array<{ ID: string }>).map((n) => n.ID);
    // The demo project's networks and the admin's external network, through the CLI as a user would.
    ids.net1 = (await demo(['network', 'create', 'e2e-net1'])).id;
    ids.subnet1 = (await demo(['subnet', 'create', '--network', 'e2e-net1', '--subnet-range', NET1.cidr, '--gateway', NET1.gateway,
      '--allocation-pool', `start=${NET1.pool[0]},end=${NET1.pool[1]}`, 'e2e-sub1'])).id;
    ids.net2 = (await demo(['network', 'create', 'e2e-net2'])).id;
    ids.subnet2 = (await demo(['subnet', 'create', '--network', 'e2e-net2', '--subnet-range', NET2.cidr, '--gateway', NET2.gateway,
      '--allocation-pool', `start=${NET2.pool[0]},end=${NET2.pool[1]}`, 'e2e-sub2'])).id;
    ids.ext = (await admin(['network', 'create', '--external', 'e2e-ext'])).id;
    await admin(['subnet', 'create', '--network', 'e2e-ext', '--subnet-range', EXT.cidr, '--gateway', EXT.outside, '--no-dhcp',
      '--allocation-pool', `start=${EXT.pool[0]},end=${EXT.pool[1]}`, 'e2e-ext-sub']);
    for (const [name, net] of [['a', 'e2e-net1'], ['b', 'e2e-net1'], ['c', 'e2e-net2']] as const) {
      const port = await demo(['port', 'create', '--network', net, `e2e-port-${name}`]);
      guests[name].port = port.id;
      guests[name].mac = port.mac_address;
      guests[name].ip = (port.fixed_ips as Array<{ ip_address: string }>)[0]!.ip_address;
    }
    // A host on the first network that is not in the guests' group, and the world behind the external network.
    await ensureBridge(hostNs, ids.net1, 1500);
    probeNs = (await lab.addOutsideNamespace('probe', [`${NET1.probe}/24`], deviceNames.bridge(ids.net1))).name;
    await ensureBridge(hostNs, ids.ext, 1500);
    outsideNs = (await lab.addOutsideNamespace('out', [`${EXT.outside}/24`], deviceNames.bridge(ids.ext))).name;
    const www = path.join(statePath, 'outside-www');
    fs.mkdirSync(path.join(www, 'cgi-bin'), { recursive: true });
    fs.writeFileSync(path.join(www, 'cgi-bin', 'addr'), '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n%s\\n" "$REMOTE_ADDR"\n', { mode: 0o755 });
    lab.startDaemon(outsideNs, 'busybox', ['httpd', '-f', '-p', `${EXT.outside}:${OUTSIDE_HTTP}`, '-h', www]);

    const { a, b } = guests;
    await Promise.all([
      bootGuest('a', GUEST_PRELUDE('a')
        + `reach ${b.ip} 90 && echo "E2E a-ping-b=ok" || echo "E2E a-ping-b=failed"\n`
        + WATCH_LOOP('a', [{ what: 'outside', cmd: 'outside' }])),
      bootGuest('b', GUEST_PRELUDE('b') + `
reach ${a.ip} 90 && echo "E2E b-ping-a=ok" || echo "E2E b-ping-a=failed"
# Anti-spoofing: with another MAC, then with another IP, nothing gets through; metadata neither.
ip link set eth0 down; ip link set eth0 address fa:16:3e:0d:ea:d0; ip link set eth0 up
reach ${a.ip} 3 && echo "E2E b-spoofed-mac=passed" || echo "E2E b-spoofed-mac=blocked"
ip link set eth0 down; ip link set eth0 address ${b.mac}; ip link set eth0 up
reach ${a.ip} 30 && echo "E2E b-own-mac=ok" || echo "E2E b-own-mac=failed"
ip addr add 10.91.1.222/24 dev eth0; ip addr del ${b.ip}/24 dev eth0
reach ${a.ip} 3 && echo "E2E b-spoofed-ip=passed" || echo "E2E b-spoofed-ip=blocked"
ip route add 169.254.169.254/32 dev eth0 2>/dev/null
md=$(timeout 5 wget -qO- http://169.254.169.254/openstack/latest/meta_data.json 2>/dev/null | head -c 200)
[ -n "$md" ] && echo "E2E b-spoofed-metadata=answered" || echo "E2E b-spoofed-metadata=nothing"
ip addr add ${b.ip}/24 dev eth0; ip addr del 10.91.1.222/24 dev eth0
reach ${a.ip} 30 && echo "E2E b-own-ip=ok" || echo "E2E b-own-ip=failed"
`),
      bootGuest('c', GUEST_PRELUDE('c') + WATCH_LOOP('c', [
        { what: 'reach-a', cmd: `reach ${a.ip} 1 && echo yes || echo no` },
        { what: 'outside', cmd: 'outside' },
      ])),
    ]);
  }

  after(async () => {
    const problems: string[] = [];
    if (cloud) await cloud.stop().catch((e: Error) => problems.push(e.message));
    for (const uuid of libvirtDomainUuids()) {
      if (statePath && fs.existsSync(path.join(statePath, 'instances', uuid))) {
        try { virsh('destroy', uuid); } catch { /* not running */ }
        try { virsh('undefine', uuid, '--managed-save'); } catch { /* gone */ }
      }
    }
    // What the agents made outside the host namespace: their namespaces, with the daemons in them.
    const ours = new Set([ids.net1, ids.net2, ids.ext, ...cloudNetworks].filter(Boolean).map(namespaceNames.dhcp).concat(ids.router ? [namespaceNames.router(ids.router)] : []));
    for (const ns of (await existingNamespaces()).filter((n) => ours.has(n))) {
      const pids = await runHostCommand('ip', ['netns', 'pids', ns]).catch(() => '');
      for (const pid of pids.split('\n').filter(Boolean)) { try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ } }
      await runHostCommand('ip', ['netns', 'delete', ns]).catch((e: Error) => problems.push(e.message));
    }
    await lab?.dispose().catch((e: Error) => problems.push(e.message));
    if (statePath) fs.rmSync(statePath, { recursive: true, force: true });
    if (problems.length > 0) throw new Error(`cleanup: ${problems.join('; ')}`);
  });

  test('each guest gets its port\'s address by DHCP and reads its own instance id and hostname from the metadata service', async () => {
    for (const [name, g] of Object.entries(guests)) {
      const log = await waitConsole(g.id, [
        `${TEST_GUEST_MARKERS.netPrefix}eth0 ip=${g.ip}/24`,
        `${TEST_GUEST_MARKERS.metadataUuidPrefix}${g.id} hostname=e2e-${name}`,
        `${TEST_GUEST_MARKERS.userDataStarting} source=metadata`,
      ]);
      assert.doesNotMatch(log, new RegExp(`metadata uuid=(?!${g.id})`), 'never another guest\'s metadata');
    }
  });

  test('two guests on one network ping each other', async () => {
    await waitConsole(guests.a.id, ['E2E a-ping-b=ok']);
    await waitConsole(guests.b.id, ['E2E b-ping-a=ok']);
  });

  test('a guest that changes its MAC or its IP gets nothing through, not even the metadata service', async () => {
    const log = await waitConsole(guests.b.id, ['E2E b-own-ip=']);
    assert.match(log, /E2E b-spoofed-mac=blocked/);
    assert.match(log, /E2E b-own-mac=ok/);
    assert.match(log, /E2E b-spoofed-ip=blocked/);
    assert.match(log, /E2E b-spoofed-metadata=nothing/);
    assert.match(log, /E2E b-own-ip=ok/);
  });

  test('a guest on another network can\'t reach them without a router; with a router between the networks it can', async () => {
    await waitConsole(guests.c.id, ['E2E c-reach-a=no']);
    ids.router = (await demo(['router', 'create', 'e2e-router'])).id;
    await cli.run('kilonova-demo', ['router', 'add', 'subnet', 'e2e-router', 'e2e-sub1']);
    await cli.run('kilonova-demo', ['router', 'add', 'subnet', 'e2e-router', 'e2e-sub2']);
    await waitConsole(guests.c.id, ['E2E c-reach-a=yes'], 60_000);
  });

  test('with only the default group, a guest accepts its group and refuses the rest; a TCP rule opens its port within a second, and its removal closes it', async () => {
    assert.equal(await connects(probeNs, guests.a.ip), false, 'the probe is not in the group');
    assert.equal(await pings(probeNs, guests.a.ip), false);
    const rule = await demo(['security', 'group', 'rule', 'create', '--ingress', '--protocol', 'tcp', '--dst-port', String(SERVICE_PORT), 'default']);
    const opened = Date.now();
    // One attempt a second after the API answered must get through at once.
    await sleep(Math.max(0, 1000 - (Date.now() - opened)));
    assert.equal(await connects(probeNs, guests.a.ip), true, 'open within a second of the rule\'s 201');
    assert.equal(await pings(probeNs, guests.a.ip), false, 'the rule opens TCP only');
    await cli.run('kilonova-demo', ['security', 'group', 'rule', 'delete', rule.id]);
    await sleep(1000);
    assert.equal(await connects(probeNs, guests.a.ip), false, 'closed within a second of the delete');
  });

  test('SNAT lets the guests reach the outside; a floating IP makes a guest reachable from outside, and its own traffic leave from it; not after disassociation', async () => {
    await cli.run('kilonova-demo', ['router', 'set', '--external-gateway', 'e2e-ext', 'e2e-router']);
    const router = await demo(['router', 'show', 'e2e-router']);
    const gatewayIp = (router.external_gateway_info.external_fixed_ips as Array<{ ip_address: string }>)[0]!.ip_address;
    await waitConsole(guests.c.id, [`E2E c-outside=${gatewayIp}`], 60_000);
    await waitConsole(guests.a.id, [`E2E a-outside=${gatewayIp}`], 60_000);
    assert.equal(await connects(outsideNs, guests.a.ip), false, 'no route from outside to a fixed address');

    const rule = await demo(['security', 'group', 'rule', 'create', '--ingress', '--protocol', 'tcp', '--dst-port', String(SERVICE_PORT), 'default']);
    const fip = await demo(['floating', 'ip', 'create', 'e2e-ext']);
    ids.fip = fip.id;
    ids.fipAddress = fip.floating_ip_address;
    await cli.run('kilonova-demo', ['server', 'add', 'floating', 'ip', 'e2e-a', ids.fipAddress]);
    await eventually('outside reaches the floating IP', () => connects(outsideNs, ids.fipAddress), true, 10_000);
    await waitConsole(guests.a.id, [`E2E a-outside=${ids.fipAddress}`], 60_000);
    const addresses = (await demo(['server', 'show', 'e2e-a'])).addresses;
    assert.match(JSON.stringify(addresses), new RegExp(ids.fipAddress.replace(/\./g, '\\.')), 'the server shows its floating IP');

    await cli.run('kilonova-demo', ['server', 'remove', 'floating', 'ip', 'e2e-a', ids.fipAddress]);
    await eventually('outside loses the floating IP', () => connects(outsideNs, ids.fipAddress), false, 10_000);
    await waitConsole(guests.a.id, [new RegExp(`E2E a-outside=${ids.fipAddress}[^]*E2E a-outside=${gatewayIp.replace(/\./g, '\\.')}`)], 60_000);
    await cli.run('kilonova-demo', ['security', 'group', 'rule', 'delete', rule.id]);
  });

  test('a restart of the cloud rebuilds the same data path, even what was removed behind its back', async () => {
    const before = await dataPathSnapshot();
    assert.ok(before.some((l) => l.startsWith(`netns ${namespaceNames.router(ids.router)}`)), 'the router namespace is there');
    assert.ok(before.some((l) => l.startsWith('iptables :neutron')), 'the firewall chains are there');
    await cloud!.stop('SIGKILL');
    cloud = undefined;
    // Behind its back: the firewall flushed and the router namespace gone.
    await runInNamespace(hostNs, 'iptables', ['-F']);
    await runHostCommand('ip', ['netns', 'delete', namespaceNames.router(ids.router)]);
    cloud = await startCloud();
    const deadline = Date.now() + 60_000;
    let after = await dataPathSnapshot();
    while (JSON.stringify(after) !== JSON.stringify(before) && Date.now() < deadline) {
      await sleep(500);
      after = await dataPathSnapshot();
    }
    assert.deepEqual(after, before);
    await waitConsole(guests.a.id, ['E2E a-ping-b=ok']);
    assert.equal(await pings(probeNs, guests.a.ip), false, 'still filtered');
  });

  test('delete removes the tap, its rules and its DHCP entry; deleting the network removes its bridge and DHCP namespace', async () => {
    const tap = deviceNames.tap(guests.c.port);
    const links = () => runHostCommand('ip', ipArgs(hostNs, ['-o', 'link', 'show']));
    assert.match(await links(), new RegExp(tap));
    await cli.run('kilonova-demo', ['server', 'delete', '--wait', 'e2e-c'], 300_000);
    await eventually('the tap is gone', async () => !(await links()).includes(tap), true, 10_000);
    const rules = await runInNamespace(hostNs, 'iptables-save', []);
    assert.doesNotMatch(rules, new RegExp(guests.c.port.slice(0, 10)));
    // The port was the user's, so the server's delete only released it (as Nova); deleting it takes its DHCP entry.
    const hosts = () => fs.readFileSync(path.join(statePath, 'network', 'dhcp', ids.net2, 'host'), 'utf8');
    assert.match(hosts(), new RegExp(guests.c.mac));
    await cli.run('kilonova-demo', ['port', 'delete', guests.c.port]);
    await eventually('the DHCP entry is gone', async () => !hosts().includes(guests.c.mac), true, 10_000);
    await cli.run('kilonova-demo', ['router', 'remove', 'subnet', 'e2e-router', 'e2e-sub2']);
    await cli.run('kilonova-demo', ['network', 'delete', 'e2e-net2']);
    await eventually('the bridge is gone', async () => !(await links()).includes(deviceNames.bridge(ids.net2)), true, 10_000);
    await eventually('the DHCP namespace is gone', async () => !(await existingNamespaces()).includes(namespaceNames.dhcp(ids.net2)), true, 10_000);
  });
});
