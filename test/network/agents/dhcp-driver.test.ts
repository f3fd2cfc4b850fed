/**
 * The Linux bridge DHCP driver against the real kernel and dnsmasq: a guest
 * (a namespace with a veth on the network's bridge) asks busybox udhcpc for a
 * lease. Everything lives in namespaces made per test (the bridges in a
 * private host namespace), and every namespace and dnsmasq is removed in
 * afterEach, whatever happened.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { LinuxBridgeDhcpDriver } from '../../../src/network/agents/linuxbridge/dhcp-driver.js';
import { NoopMetadataProxyDriver } from '../../../src/network/agents/noop/drivers.js';
import { runHostCommand } from '../../../src/network/agents/host-commands.js';
import { bridgeSideOf, deviceNames, namespaceNames, type DhcpNetworkState } from '../../../src/network/agents/state.js';
import { testLogger } from '../../helpers/logger.js';

const skip = process.getuid?.() === 0 ? false : 'needs root: creates network namespaces, bridges and dnsmasq processes';

/** Prints what udhcpc learnt, one `LEASE name=value` line per variable, when it binds a lease. */
const UDHCPC_SCRIPT = '#!/bin/sh\n[ "$1" = bound ] && env | sed "s/^/LEASE /"\nexit 0\n';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const randomMac = () => `fa:16:3e:${hex(3).match(/../g)!.join(':')}`;

function networkState(cidrPrefix: string): DhcpNetworkState {
  const networkId = randomUUID();
  const subnetId = randomUUID();
  return {
    networkId,
    mtu: 1400,
    dhcpPort: { portId: randomUUID(), macAddress: randomMac(), fixedIps: [{ subnetId, ipAddress: `${cidrPrefix}.2` }] },
    subnets: [{
      id: subnetId,
      networkId,
      cidr: `${cidrPrefix}.0/24`,
      ipVersion: 4,
      gatewayIp: `${cidrPrefix}.1`,
      enableDhcp: true,
      dnsNameservers: [`${cidrPrefix}.53`],
      hostRoutes: [],
    }],
    hosts: [{ portId: randomUUID(), macAddress: randomMac(), ipAddress: `${cidrPrefix}.10`, hostname: 'guest-one' }],
    metadata: true,
  };
}

async function linkIn(namespace: string, name: string): Promise<boolean> {
  try {
    await runHostCommand('ip', ['-n', namespace, 'link', 'show', 'dev', name]);
    return true;
  } catch {
    return false;
  }
}

const namespaceExists = (name: string) => fs.existsSync(`/run/netns/${name}`);
const processAlive = (pid: number) => {
  try {
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return false;
  }
};

describe('LinuxBridgeDhcpDriver (root, real kernel)', { skip }, () => {
  let hostNs: string;
  let stateDir: string;
  let script: string;
  let proxy: NoopMetadataProxyDriver;
  let drivers: LinuxBridgeDhcpDriver[];
  let networkIds: string[];
  let guests: string[];

  const newDriver = () => {
    const driver = new LinuxBridgeDhcpDriver({ hostNamespace: hostNs, stateDir, metadataProxy: proxy, logger: testLogger });
    drivers.push(driver);
    return driver;
  };
  const track = (...networks: DhcpNetworkState[]) => {
    networkIds.push(...networks.map((n) => n.networkId));
    return networks;
  };
  const dnsmasqPid = (networkId: string) => Number(fs.readFileSync(path.join(stateDir, 'dhcp', networkId, 'pid'), 'utf8'));

  /** A guest: its own namespace, eth0 with the given MAC, the veth's other end on the network's bridge. */
  async function addGuest(networkId: string, mac: string): Promise<string> {
    const ns = `${hostNs}-g${guests.length}`;
    const peer = `kg${hostNs.slice(-8)}${guests.length}`;
    await runHostCommand('ip', ['netns', 'add', ns]);
    guests.push(ns);
    await runHostCommand('ip', ['-n', ns, 'link', 'add', 'eth0', 'address', mac, 'type', 'veth', 'peer', 'name', peer, 'netns', hostNs]);
    await runHostCommand('ip', ['-n', ns, 'link', 'set', 'dev', 'eth0', 'up']);
    await runHostCommand('ip', ['-n', hostNs, 'link', 'set', 'dev', peer, 'master', deviceNames.bridge(networkId), 'up']);
    return ns;
  }

  /** What udhcpc in the guest was given, or null when no server answered. */
  async function requestLease(guestNs: string, discovers: number): Promise<Record<string, string> | null> {
    let out: string;
    try {
      out = await runHostCommand('busybox', [
        'udhcpc', '-i', 'eth0', '-f', '-q', '-n', '-t', String(discovers), '-T', '1',
        // busybox asks for neither by default; cloud images' clients ask for both
        '-O', 'staticroutes', '-O', 'mtu', '-s', script,
      ], { namespace: guestNs, timeoutMs: 15_000 });
    } catch {
      return null;
    }
    const lease: Record<string, string> = {};
    for (const line of out.split('\n')) {
      const m = /^LEASE ([^=]+)=(.*)$/.exec(line);
      if (m) lease[m[1]!] = m[2]!;
    }
    return lease;
  }

  /** A network served by a fresh driver, with its dnsmasq's pid. */
  async function served(cidrPrefix: string) {
    const [net] = track(networkState(cidrPrefix));
    const driver = newDriver();
    await driver.syncNetworks([net!]);
    return { net: net!, driver, pid: dnsmasqPid(net!.networkId) };
  }

  /** The lease a new guest with this MAC (default: the network's first host) gets. */
  async function leaseFor(net: DhcpNetworkState, mac = net.hosts[0]!.macAddress) {
    return requestLease(await addGuest(net.networkId, mac), 5);
  }

  beforeEach(async () => {
    hostNs = `kn-t-${hex(4)}`;
    drivers = [];
    networkIds = [];
    guests = [];
    proxy = new NoopMetadataProxyDriver();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kn-dhcp-'));
    // dnsmasq re-reads its files as nobody
    fs.chmodSync(stateDir, 0o755);
    script = path.join(stateDir, 'udhcpc.sh');
    fs.writeFileSync(script, UDHCPC_SCRIPT, { mode: 0o755 });
    await runHostCommand('ip', ['netns', 'add', hostNs]);
    await runHostCommand('ip', ['-n', hostNs, 'link', 'set', 'dev', 'lo', 'up']);
  });

  afterEach(async () => {
    for (const driver of drivers) await driver.stop().catch(() => undefined);
    // Whatever a failing driver left running.
    for (const networkId of networkIds) {
      try {
        process.kill(dnsmasqPid(networkId), 'SIGKILL');
      } catch { /* not running */ }
    }
    for (const ns of [...guests, ...networkIds.map((id) => namespaceNames.dhcp(id)), hostNs]) {
      if (namespaceExists(ns)) await runHostCommand('ip', ['netns', 'del', ns]).catch(() => undefined);
    }
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('gives a guest exactly its port address, the router, the MTU and the metadata route via the DHCP port', async () => {
    const { net } = await served('10.77.0');

    const ns = namespaceNames.dhcp(net.networkId);
    const inside = JSON.parse(await runHostCommand('ip', ['-j', '-n', ns, 'addr', 'show', 'dev', deviceNames.dhcpInside(net.dhcpPort.portId)]));
    assert.equal(inside[0].address, net.dhcpPort.macAddress);
    assert.equal(inside[0].mtu, 1400);
    assert.deepEqual(
      inside[0].addr_info.filter((a: { family: string }) => a.family === 'inet').map((a: { local: string; prefixlen: number }) => `${a.local}/${a.prefixlen}`).sort(),
      ['10.77.0.2/24', '169.254.169.254/32'],
    );
    assert.equal(proxy.proxies.get(net.networkId), ns);

    const guest = await addGuest(net.networkId, net.hosts[0]!.macAddress);
    const lease = await requestLease(guest, 5);
    assert.ok(lease, 'the guest got a lease');
    assert.equal(lease.ip, '10.77.0.10');
    assert.equal(lease.subnet, '255.255.255.0');
    assert.equal(lease.router, '10.77.0.1');
    assert.equal(lease.mtu, '1400');
    assert.equal(lease.dns, '10.77.0.53');
    assert.equal(lease.hostname, 'guest-one');
    // busybox prints classless routes as "destination/prefix gateway" pairs
    assert.equal(lease.staticroutes, '169.254.169.254/32 10.77.0.2 0.0.0.0/0 10.77.0.1');
  });

  it('gives no lease to a MAC with no host entry', async () => {
    const { net } = await served('10.78.0');
    const stranger = await addGuest(net.networkId, randomMac());
    assert.equal(await requestLease(stranger, 2), null);
  });

  it('serves a host entry added by a later sync without restarting dnsmasq', async () => {
    const { net, driver, pid } = await served('10.79.0');

    const mac = randomMac();
    const updated = { ...net, hosts: [...net.hosts, { portId: randomUUID(), macAddress: mac, ipAddress: '10.79.0.11', hostname: 'guest-two' }] };
    await driver.syncNetworks([updated]);

    const lease = await leaseFor(net, mac);
    assert.equal(lease?.ip, '10.79.0.11');
    assert.equal(dnsmasqPid(net.networkId), pid);
    assert.ok(processAlive(pid));
  });

  it('gives an address freed by a deleted port to the next port at once, though its lease has not expired', async () => {
    const { net, driver } = await served('10.85.0');
    assert.equal((await leaseFor(net))?.ip, '10.85.0.10');

    // The port is deleted and IPAM hands its address (the lowest free one) to a new port.
    const mac = randomMac();
    await driver.syncNetworks([{ ...net, hosts: [{ portId: randomUUID(), macAddress: mac, ipAddress: '10.85.0.10', hostname: 'guest-two' }] }]);

    const lease = await leaseFor(net, mac);
    assert.equal(lease?.ip, '10.85.0.10');
    assert.equal(lease?.hostname, 'guest-two');
  });

  it('removes dnsmasq, the veth, the namespace and the bridge of a network no longer desired', async () => {
    const { net, driver, pid } = await served('10.80.0');
    assert.ok(await linkIn(hostNs, deviceNames.bridge(net.networkId)));

    await driver.syncNetworks([]);

    assert.equal(processAlive(pid), false);
    assert.equal(namespaceExists(namespaceNames.dhcp(net.networkId)), false);
    assert.equal(await linkIn(hostNs, bridgeSideOf(net.dhcpPort.portId)), false);
    assert.equal(await linkIn(hostNs, deviceNames.bridge(net.networkId)), false);
    assert.equal(proxy.proxies.has(net.networkId), false);
  });

  it('adopts the running dnsmasq in a new instance and cleans up a network that is no longer desired', async () => {
    const [kept, dropped] = track(networkState('10.81.0'), networkState('10.82.0'));
    await newDriver().syncNetworks([kept!, dropped!]);
    const keptPid = dnsmasqPid(kept!.networkId);
    const droppedPid = dnsmasqPid(dropped!.networkId);

    // A restarted agent: a fresh instance over the same state directory, the old one gone without stop().
    drivers.length = 0;
    await newDriver().syncNetworks([kept!]);

    assert.equal(dnsmasqPid(kept!.networkId), keptPid);
    assert.ok(processAlive(keptPid));
    assert.equal(processAlive(droppedPid), false);
    assert.equal(namespaceExists(namespaceNames.dhcp(dropped!.networkId)), false);
    assert.equal(await linkIn(hostNs, deviceNames.bridge(dropped!.networkId)), false);
    const lease = await leaseFor(kept!);
    assert.equal(lease?.ip, '10.81.0.10');
  });

  it('stops dnsmasq on stop() but keeps the namespace, and the next sync serves again', async () => {
    const { net, driver, pid } = await served('10.83.0');

    await driver.stop();
    assert.equal(processAlive(pid), false);
    assert.ok(namespaceExists(namespaceNames.dhcp(net.networkId)));

    await driver.syncNetworks([net]);
    const lease = await leaseFor(net);
    assert.equal(lease?.ip, '10.83.0.10');
  });

  it('restarts dnsmasq when the DHCP port gets another address', async () => {
    const { net, driver, pid } = await served('10.84.0');

    const moved = { ...net, dhcpPort: { ...net.dhcpPort, fixedIps: [{ subnetId: net.subnets[0]!.id, ipAddress: '10.84.0.3' }] } };
    await driver.syncNetworks([moved]);

    assert.notEqual(dnsmasqPid(net.networkId), pid);
    const lease = await leaseFor(net);
    assert.equal(lease?.staticroutes, '169.254.169.254/32 10.84.0.3 0.0.0.0/0 10.84.0.1');
  });
});
