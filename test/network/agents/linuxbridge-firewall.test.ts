/**
 * Security groups on the Linux bridge data path, shown with real traffic
 * between guests played by namespaces (linuxbridge-lab.ts), all inside a
 * private host namespace; and what unplug and a restarted agent leave in the
 * kernel.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runInNamespace } from '../../../src/network/agents/linuxbridge/firewall.js';
import { LinuxBridgePortDataPath, TapNotFoundError } from '../../../src/network/agents/linuxbridge/port-data-path.js';
import { FORWARD_CHAIN, ZONE_CHAIN, portKey, zoneOf } from '../../../src/network/agents/linuxbridge/firewall-rules.js';
import { deviceNames, type FirewallRule, type HostPortState } from '../../../src/network/agents/state.js';
import { HostLab, defaultGroupRules, kernelSkipReason, pollUntil, tcpRule, type Guest } from './linuxbridge-lab.js';

const skip = kernelSkipReason();
const hasConntrack = spawnSync('sh', ['-c', 'command -v conntrack']).status === 0;
const REACH_MS = 3000;

describe('Linux bridge firewall with real traffic', { skip }, () => {
  let lab: HostLab;
  let dataPath: LinuxBridgePortDataPath;

  beforeEach(async () => {
    lab = new HostLab();
    await lab.create();
    dataPath = new LinuxBridgePortDataPath({ hostNamespace: lab.hostNamespace });
  });
  afterEach(async () => {
    await lab.destroy();
  });

  /** Guests in one security group (the default group's rules over their addresses), plugged. */
  async function group(ips: string[], extra: Partial<HostPortState> = {}): Promise<Guest[]> {
    const guests: Guest[] = [];
    for (const ip of ips) guests.push(await lab.addGuest(lab.portState(ip, defaultGroupRules(ips), extra)));
    for (const g of guests) await dataPath.plugPort(g.port);
    return guests;
  }

  const reaches = (from: Guest, to: Guest) => pollUntil(() => lab.ping(from, to), REACH_MS, `${from.ip} to ping ${to.ip}`);

  it('guests of one group reach each other; a guest outside the group gets nothing in', async () => {
    const [a, b] = await group(['10.30.0.11', '10.30.0.12']);
    const [c] = await group(['10.30.0.13']);
    await reaches(a!, b!);
    await reaches(b!, a!);
    await lab.listen(b!, 7001);
    assert.equal(await lab.tcpConnects(a!, b!, 7001), true, 'TCP within the group');
    assert.equal(await lab.ping(c!, a!), false, 'ping from outside the group');
    assert.equal(await lab.tcpConnects(c!, b!, 7001), false, 'TCP from outside the group');
  });

  it('a TCP rule for port N lets a connection through at once; removing it blocks new ones again', async () => {
    const [a, b] = await group(['10.30.0.21', '10.30.0.22']);
    const [outsider] = await group(['10.30.0.23']);
    await reaches(a!, b!);
    await lab.listen(b!, 7002);
    assert.equal(await lab.tcpConnects(outsider!, b!, 7002), false, 'before the rule');

    const opened = { ...b!.port, rules: [...b!.port.rules, tcpRule(7002)] };
    const t0 = performance.now();
    await dataPath.syncPorts([a!.port, opened, outsider!.port]);
    await pollUntil(() => lab.tcpConnects(outsider!, b!, 7002), 1000, 'the new rule to let TCP 7002 through');
    assert.ok(performance.now() - t0 < 1000);
    assert.equal(await lab.tcpConnects(outsider!, b!, 7003), false, 'another port stays closed');

    await dataPath.syncPorts([a!.port, b!.port, outsider!.port]);
    assert.equal(await lab.tcpConnects(outsider!, b!, 7002), false, 'after the rule is removed');
    assert.equal(await lab.tcpConnects(a!, b!, 7002), true, 'the group still gets in');
  });

  it('removing a rule forgets the connections it let in, so they meet the rules again', { skip: hasConntrack ? false : 'conntrack (conntrack-tools) is not installed' }, async () => {
    const [a, b] = await group(['10.30.0.71', '10.30.0.72']);
    const [outsider] = await group(['10.30.0.73']);
    await reaches(a!, b!);
    const icmp: FirewallRule = { direction: 'ingress', ethertype: 'IPv4', protocol: 'icmp', portRangeMin: null, portRangeMax: null, remoteIpPrefix: null, remoteGroupAddresses: null };
    await dataPath.plugPort({ ...b!.port, rules: [...b!.port.rules, icmp] });
    await reaches(outsider!, b!);
    assert.match(await lab.conntrack(['-L', '-s', outsider!.ip, '-d', b!.ip]), /icmp/);
    await dataPath.plugPort(b!.port);
    assert.doesNotMatch(await lab.conntrack(['-L', '-s', outsider!.ip, '-d', b!.ip]), /icmp/);
    assert.equal(await lab.ping(outsider!, b!), false);
  });

  it('two networks reusing the same addresses each work, their flows tracked in zones of their own', async () => {
    const ips = ['10.30.1.1', '10.30.1.2'];
    const nets = [lab.networkId, randomUUID()];
    const pairs: Guest[][] = [];
    for (const networkId of nets) {
      const pair = [];
      for (const ip of ips) pair.push(await lab.addGuest(lab.portState(ip, defaultGroupRules(ips), { networkId })));
      for (const g of pair) await dataPath.plugPort(g.port);
      pairs.push(pair);
    }
    await Promise.all(pairs.map(([a, b]) => reaches(a!, b!)));
    const raw = await lab.iptablesSave(4, 'raw');
    const zones = nets.map((n) => zoneOf(n));
    assert.notEqual(zones[0], zones[1]);
    for (const [i, net] of nets.entries()) {
      assert.ok(raw.includes(`-i ${deviceNames.bridge(net)} -j CT --zone ${zones[i]}`), raw);
    }
  });

  it('a guest gets the answers of an unfiltered port on its network (a DHCP or router port): the zone is the bridge\'s, not the tap\'s', async () => {
    const [a] = await group(['10.30.0.41']);
    const service = await lab.addGuest(lab.portState('10.30.0.42', [], { portSecurityEnabled: false }));
    await dataPath.plugPort(service.port);
    await reaches(a!, service);
    await lab.listen(service, 7010);
    assert.equal(await lab.tcpConnects(a!, service, 7010), true);
  });

  it('a port joining a network whose conntrack zone is written leaves the zone chain alone', async () => {
    const [a, b] = await group(['10.30.0.61', '10.30.0.62']);
    await reaches(a, b);
    const zonePackets = async () => {
      const listing = await runInNamespace(lab.hostNamespace, 'iptables', ['-t', 'raw', '-L', ZONE_CHAIN, '-v', '-x', '-n']);
      // Its one rule's packet counter leads the line after the headings; a rewrite (a flush) starts it again from 0.
      return Number(listing.split('\n')[2]!.trim().split(/\s+/)[0]);
    };
    const before = await zonePackets();
    assert.ok(before > 0, 'the pings were tracked in the zone');
    await group(['10.30.0.63']);
    assert.ok((await zonePackets()) >= before, 'the counter kept: the chain was not rewritten');
  });

  it('a guest that changes its MAC or its IP gets nothing through', async () => {
    const [a, b] = await group(['10.30.0.31', '10.30.0.32']);
    await reaches(b!, a!);

    await lab.guestIp(b!, ['link', 'set', 'eth0', 'address', 'fa:16:3e:00:00:99']);
    assert.equal(await lab.ping(b!, a!), false, 'from a spoofed MAC');
    await lab.guestIp(b!, ['link', 'set', 'eth0', 'address', b!.port.macAddress]);
    await reaches(b!, a!);

    // Deleting the primary address first: deleting it after would take the new one with it.
    await lab.guestIp(b!, ['addr', 'del', `${b!.ip}/24`, 'dev', 'eth0']);
    await lab.guestIp(b!, ['addr', 'add', '10.30.0.99/24', 'dev', 'eth0']);
    assert.match(await lab.guestIp(b!, ['-4', 'addr', 'show', 'dev', 'eth0']), /10\.30\.0\.99/);
    assert.equal(await lab.ping(b!, a!), false, 'from a spoofed IP');
  });

  it('an allowed address pair lets the guest send from that address', async () => {
    const ips = ['10.30.0.41', '10.30.0.42'];
    const a = await lab.addGuest(lab.portState(ips[0]!, defaultGroupRules([...ips, '10.30.0.142'])));
    const b = await lab.addGuest(lab.portState(ips[1]!, defaultGroupRules([...ips, '10.30.0.142']), { allowedAddressPairs: [{ ipAddress: '10.30.0.142', macAddress: '' }] }));
    await dataPath.plugPort(a.port);
    await dataPath.plugPort(b.port);
    await lab.guestIp(b, ['addr', 'del', `${b.ip}/24`, 'dev', 'eth0']);
    await lab.guestIp(b, ['addr', 'add', '10.30.0.142/24', 'dev', 'eth0']);
    await reaches(b, a);
  });

  it("a CIDR pair with its own MAC lets the guest send from inside the CIDR under that MAC; outside it, nothing gets through", async () => {
    const ips = ['10.30.0.43', '10.30.0.44'];
    const pairMac = 'fa:16:3e:00:00:77';
    // .180 is a group member too, so only anti-spoofing can stop it.
    const members = [...ips, '10.30.0.160/28', '10.30.0.180'];
    const a = await lab.addGuest(lab.portState(ips[0]!, defaultGroupRules(members)));
    const b = await lab.addGuest(lab.portState(ips[1]!, defaultGroupRules(members), { allowedAddressPairs: [{ ipAddress: '10.30.0.160/28', macAddress: pairMac }] }));
    await dataPath.plugPort(a.port);
    await dataPath.plugPort(b.port);
    await lab.guestIp(b, ['link', 'set', 'eth0', 'address', pairMac]);
    await lab.guestIp(b, ['addr', 'del', `${b.ip}/24`, 'dev', 'eth0']);
    await lab.guestIp(b, ['addr', 'add', '10.30.0.170/24', 'dev', 'eth0']);
    await reaches(b, a);
    await lab.guestIp(b, ['addr', 'del', '10.30.0.170/24', 'dev', 'eth0']);
    await lab.guestIp(b, ['addr', 'add', '10.30.0.180/24', 'dev', 'eth0']);
    assert.equal(await lab.ping(b, a), false, 'from an address outside the pair');
  });

  it('with port security off there are no chains and everything passes, spoofed or not', async () => {
    const [d, e] = await group(['10.30.0.51', '10.30.0.52'], { portSecurityEnabled: false, rules: [] });
    await reaches(d!, e!);
    await lab.listen(e!, 7005);
    assert.equal(await lab.tcpConnects(d!, e!, 7005), true);
    await lab.guestIp(d!, ['link', 'set', 'eth0', 'address', 'fa:16:3e:00:00:98']);
    await reaches(d!, e!);
    const saved = await lab.iptablesSave();
    assert.doesNotMatch(saved, new RegExp(deviceNames.tap(d!.port.portId)));
  });

  it('a port whose groups allow no ingress accepts nothing, though it may still send', async () => {
    const a = await lab.addGuest(lab.portState('10.30.0.61', defaultGroupRules(['10.30.0.61', '10.30.0.62'])));
    const closed = await lab.addGuest(lab.portState('10.30.0.62', defaultGroupRules([])));
    await dataPath.plugPort(a.port);
    await dataPath.plugPort(closed.port);
    await reaches(closed, a);
    assert.equal(await lab.ping(a, closed), false);
  });
});

describe('Linux bridge data path: wiring, removal and restart', { skip }, () => {
  let lab: HostLab;

  beforeEach(async () => {
    lab = new HostLab();
    await lab.create();
  });
  afterEach(async () => {
    await lab.destroy();
  });

  const chainsOf = async (port: HostPortState) => {
    const key = portKey(port.portId);
    const saved = (await lab.iptablesSave(4)) + (await lab.iptablesSave(6));
    return saved.split('\n').filter((l) => l.includes(key));
  };
  const linkNames = async () => (JSON.parse(await lab.hostIp(['-j', 'link', 'show'])) as Array<{ ifname: string; master?: string }>);

  it('plugging a port whose tap does not exist yet fails with TapNotFoundError', async () => {
    const dataPath = new LinuxBridgePortDataPath({ hostNamespace: lab.hostNamespace });
    await assert.rejects(dataPath.plugPort(lab.portState('10.40.0.1')), TapNotFoundError);
  });

  it('a sync filters a port whose tap is not there yet and the plug that follows wires it; plugs may run at once', async () => {
    const dataPath = new LinuxBridgePortDataPath({ hostNamespace: lab.hostNamespace });
    const ips = ['10.40.0.41', '10.40.0.42', '10.40.0.43', '10.40.0.44'];
    const ports = ips.map((ip) => lab.portState(ip, defaultGroupRules(ips)));
    await dataPath.syncPorts(ports);
    assert.deepEqual(await dataPath.wiredPorts(), []);
    assert.ok((await chainsOf(ports[0]!)).length > 0, 'rules are in before the tap exists');
    const guests: Guest[] = [];
    for (const p of ports) guests.push(await lab.addGuest(p));
    await Promise.all(ports.map((p) => dataPath.plugPort(p)));
    assert.deepEqual((await dataPath.wiredPorts()).sort(), ports.map((p) => p.portId).sort());
    await pollUntil(() => lab.ping(guests[3]!, guests[0]!), REACH_MS, 'the last plugged guest to reach the first');
  });

  it('unplug removes the chains, takes the tap off the bridge and deletes the bridge once empty', async () => {
    const dataPath = new LinuxBridgePortDataPath({ hostNamespace: lab.hostNamespace });
    const a = await lab.addGuest(lab.portState('10.40.0.11', defaultGroupRules(['10.40.0.11', '10.40.0.12'])));
    const b = await lab.addGuest(lab.portState('10.40.0.12', defaultGroupRules(['10.40.0.11', '10.40.0.12'])));
    await dataPath.plugPort(a.port);
    await dataPath.plugPort(b.port);
    const bridge = deviceNames.bridge(lab.networkId);
    assert.ok((await chainsOf(a.port)).length > 0);
    assert.equal((await linkNames()).find((l) => l.ifname === deviceNames.tap(a.port.portId))?.master, bridge);

    await dataPath.unplugPort(a.port.portId);
    assert.deepEqual(await chainsOf(a.port), []);
    assert.equal((await linkNames()).some((l) => l.ifname === deviceNames.tap(a.port.portId)), false, 'tap handed back to the root namespace');
    assert.ok((await linkNames()).some((l) => l.ifname === bridge), 'bridge kept while b is on it');
    assert.ok((await chainsOf(b.port)).length > 0, "b's chains untouched");

    await dataPath.unplugPort(b.port.portId);
    assert.equal((await linkNames()).some((l) => l.ifname === bridge), false, 'empty bridge deleted');
    assert.equal((await lab.iptablesSave()).includes('physdev'), false, 'no dispatch rule left');
    assert.equal((await lab.ipsetNames()).length, 0, 'no address set left');
    assert.equal((await lab.iptablesSave(4, 'raw')).includes('CT --zone'), false, 'no zone rule left');
  });

  it("a sync leaves alone the taps it did not wire (another agent's veth on the same bridge)", async () => {
    const dataPath = new LinuxBridgePortDataPath({ hostNamespace: lab.hostNamespace });
    const a = await lab.addGuest(lab.portState('10.40.0.31', defaultGroupRules(['10.40.0.31'])));
    await dataPath.plugPort(a.port);
    const dhcpSide = deviceNames.tap(lab.portState('10.40.0.2').portId);
    await lab.hostIp(['link', 'add', dhcpSide, 'type', 'veth', 'peer', 'name', `ns-${dhcpSide.slice(3)}`]);
    await lab.hostIp(['link', 'set', dhcpSide, 'master', deviceNames.bridge(lab.networkId), 'up']);
    await dataPath.syncPorts([]);
    assert.equal((await linkNames()).find((l) => l.ifname === dhcpSide)?.master, deviceNames.bridge(lab.networkId));
    assert.deepEqual(await dataPath.wiredPorts(), []);
  });

  it('a restarted agent rebuilds the same rules after they were flushed behind its back', async () => {
    const ips = ['10.40.0.51', '10.40.0.52'];
    const [a, b] = [await lab.addGuest(lab.portState(ips[0]!, defaultGroupRules(ips))), await lab.addGuest(lab.portState(ips[1]!, defaultGroupRules(ips)))];
    const before = new LinuxBridgePortDataPath({ hostNamespace: lab.hostNamespace });
    for (const g of [a, b]) await before.plugPort(g.port);
    const ours = async () => (await lab.iptablesSave(4)).split('\n').filter((l) => l.includes('neutron-')).sort();
    const rules = await ours();
    await runInNamespace(lab.hostNamespace, 'iptables', ['-F']);
    assert.equal((await ours()).some((l) => l.startsWith('-A')), false, 'flushed');

    const after = new LinuxBridgePortDataPath({ hostNamespace: lab.hostNamespace });
    await after.syncPorts([a.port, b.port]);
    assert.deepEqual(await ours(), rules);
    await pollUntil(() => lab.ping(a, b), REACH_MS, 'a to reach b after the rebuild');
  });

  it("a restarted agent's sync adopts the ports it still wants and removes what an earlier one left", async () => {
    const ips = ['10.40.0.21', '10.40.0.22', '10.40.0.23'];
    const [a, b, c] = [await lab.addGuest(lab.portState(ips[0]!, defaultGroupRules(ips))), await lab.addGuest(lab.portState(ips[1]!, defaultGroupRules(ips))), await lab.addGuest(lab.portState(ips[2]!, defaultGroupRules(ips)))];
    const before = new LinuxBridgePortDataPath({ hostNamespace: lab.hostNamespace });
    for (const g of [a, b, c]) await before.plugPort(g.port);

    const after = new LinuxBridgePortDataPath({ hostNamespace: lab.hostNamespace });
    const narrowed = defaultGroupRules([ips[0]!, ips[1]!]);
    await after.syncPorts([{ ...a.port, rules: narrowed }, { ...b.port, rules: narrowed }]);
    assert.deepEqual((await after.wiredPorts()).sort(), [a.port.portId, b.port.portId].sort());
    assert.deepEqual(await chainsOf(c.port), [], "c's chains removed");
    assert.equal((await linkNames()).some((l) => l.ifname === deviceNames.tap(c.port.portId)), false, "c's tap unwired");
    await pollUntil(() => lab.ping(b, a), REACH_MS, 'b to reach a after the restart');
    assert.equal(await lab.ping(c, a), false, 'c is no longer in a\'s group');
    assert.equal((await lab.iptablesSave()).split('\n').filter((l) => l === `-A FORWARD -j ${FORWARD_CHAIN}`).length, 1, 'jump not duplicated');
    assert.equal((await lab.ipsetNames()).length, 1, "only the narrowed group's address set is left");
  });
});
