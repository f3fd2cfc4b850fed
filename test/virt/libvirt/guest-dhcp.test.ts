/**
 * The test guest on a real network, before any agent exists: one TCG guest
 * booted through the libvirt driver with two NICs. The first tap is moved
 * onto a bridge in a private namespace where a dnsmasq (in a qdhcp-like
 * namespace of its own) leases the guest's MAC a fixed address, router, MTU
 * and a classless route to 169.254.169.254, which a busybox httpd in that
 * namespace answers as the metadata service. The second tap is wired to
 * nothing, so the same boot shows the bounded wait for a lease that never
 * comes. The console says what the guest saw.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { LibvirtDriver } from '../../../src/virt/libvirt/driver.js';
import type { DriverInstance, VifInfo } from '../../../src/virt/driver.js';
import type { Flavor } from '../../../src/objects/flavor.js';
import { TEST_GUEST_MARKERS as M } from '../../../src/virt/libvirt/test-guest/build.js';
import { testLogger } from '../../helpers/logger.js';
import { skipWithoutLibvirt, testGuestImages } from '../../helpers/libvirt.js';
import { existingNamespaces, GuestNetworkLab, waitForConsoleMarkers, waitForListener, type LabDaemon } from '../../helpers/guest-network-lab.js';

const flavor: Flavor = {
  id: 1, flavorid: '1', name: 'm1.tiny', memory_mb: 256, vcpus: 1, root_gb: 1, ephemeral_gb: 0, swap: 0,
  rxtx_factor: 1, is_public: true, disabled: false, description: null, extra_specs: {},
};

// In CI the test command runs scripts/setup-libvirt-host.sh, which installs dnsmasq-base; elsewhere its absence skips.
const hasDnsmasq = spawnSync('dnsmasq', ['--version'], { stdio: 'ignore' }).status === 0;
const skip = skipWithoutLibvirt || (!hasDnsmasq && process.env.CI !== 'true' ? 'dnsmasq is not installed (scripts/setup-libvirt-host.sh installs it)' : false);

const SUBNET = { cidr: '10.250.0.0/24', prefix: 24, router: '10.250.0.1', dhcp: '10.250.0.2', guest: '10.250.0.10', mtu: 1400 };
const METADATA_IP = '169.254.169.254';

/** A locally administered MAC, like Neutron's fa:16:3e: prefix. */
function randomMac(): string {
  return ['fa', '16', '3e', ...[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

function vif(mac: string): VifInfo {
  return {
    id: randomUUID(), address: mac,
    network: { id: randomUUID(), label: 'lab', subnets: [{ cidr: SUBNET.cidr, gateway: { address: SUBNET.router }, ips: [{ address: SUBNET.guest, type: 'fixed', version: 4 }] }] },
  };
}

/** The name the driver gives a VIF's tap when the port names none (Nova's too). */
const tapOf = (v: VifInfo) => v.devname ?? `tap${v.id.slice(0, 11)}`;

describe('the test guest on a real network (DHCP, routes, metadata, user data)', { skip, timeout: 240_000 }, () => {
  let dir: string;
  let lab: GuestNetworkLab | undefined;
  let driver: LibvirtDriver | undefined;
  let closeImages: (() => Promise<void>) | undefined;
  let inst: DriverInstance;
  let vifs: VifInfo[];
  let dnsmasq: LabDaemon;
  let log = '';
  let destroyed = false;
  const hostname = `lab-${randomBytes(3).toString('hex')}`;
  const pingMarker = `LAB-PING-${randomBytes(4).toString('hex')}`;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-guest-dhcp-'));
    const imgs = await testGuestImages(dir);
    closeImages = imgs.close;
    driver = new LibvirtDriver({
      virtType: 'qemu', connectionUri: 'qemu:///system', instancesPath: path.join(dir, 'instances'),
      forceConfigDrive: false, shutdownTimeoutS: 1, softRebootTimeoutS: 1, bootTimeoutS: 60,
      images: imgs.images, logger: testLogger, packageVersion: 'test',
    });
    await driver.initHost('guest-dhcp-host');

    lab = await GuestNetworkLab.create();
    // The DHCP namespace holds the metadata address too, as Neutron's qdhcp- namespace does for isolated networks.
    const dhcpNs = await lab.addOutsideNamespace('dhcp', [`${SUBNET.dhcp}/${SUBNET.prefix}`, `${METADATA_IP}/32`]);

    inst = {
      uuid: randomUUID(), name: `instance-${randomBytes(4).toString('hex')}`, hostname, displayName: hostname,
      projectId: 'p', userId: 'u', availabilityZone: null, launchIndex: 0, createdAt: new Date().toISOString(),
      flavor, image: imgs.image, userData: null, keyName: null, keyData: null, metadata: {}, configDrive: false,
    };
    vifs = [vif(randomMac()), vif(randomMac())];

    const docroot = path.join(dir, 'metadata');
    fs.mkdirSync(path.join(docroot, 'openstack', 'latest'), { recursive: true });
    fs.writeFileSync(path.join(docroot, 'openstack', 'latest', 'meta_data.json'),
      JSON.stringify({ uuid: inst.uuid, name: hostname, hostname, launch_index: 0, availability_zone: 'nova', meta: {} }));
    // The user data proves the network was up when it ran, and shows the routes DHCP gave.
    fs.writeFileSync(path.join(docroot, 'openstack', 'latest', 'user_data'), [
      '#!/bin/sh',
      `if ping -c 2 -W 3 ${SUBNET.dhcp} >/dev/null 2>&1; then echo "${pingMarker} ok"; else echo "${pingMarker} failed"; fi`,
      'ip -4 route | sed "s/^/LAB-ROUTE /"',
      '',
    ].join('\n'));

    dnsmasq = lab.startDaemon(dhcpNs.name, 'dnsmasq', [
      '--no-daemon', '--conf-file=/dev/null', '--no-hosts', '--no-resolv', '--port=0', '--log-facility=-', '--log-dhcp',
      `--interface=${dhcpNs.device}`, '--bind-interfaces', '--dhcp-authoritative',
      `--dhcp-leasefile=${path.join(dir, 'dnsmasq.leases')}`,
      `--dhcp-range=${SUBNET.guest},static,255.255.255.0,1h`,
      `--dhcp-host=${vifs[0]!.address},${SUBNET.guest}`,
      `--dhcp-option=option:router,${SUBNET.router}`,
      `--dhcp-option=option:mtu,${SUBNET.mtu}`,
      `--dhcp-option=option:classless-static-route,${METADATA_IP}/32,${SUBNET.dhcp},0.0.0.0/0,${SUBNET.router}`,
    ]);
    const httpd = lab.startDaemon(dhcpNs.name, 'busybox', ['httpd', '-f', '-p', `${METADATA_IP}:80`, '-h', docroot]);
    await waitForListener(dhcpNs.name, 'udp', 67, 10_000, dnsmasq);
    await waitForListener(dhcpNs.name, 'tcp', 80, 10_000, httpd);

    await driver.spawn({ instance: inst, networkInfo: vifs, blockDeviceInfo: { rootDeviceName: '/dev/vda', devices: [] } });
    // libvirt made the taps in the root namespace; QEMU holds them now, so they can move.
    await lab.adoptTap(tapOf(vifs[0]!));
    await lab.adoptTap(tapOf(vifs[1]!), { onBridge: false });
    log = await waitForConsoleMarkers(() => driver!.getConsoleOutput(inst), [M.ready], 150_000)
      .catch((err: Error) => { throw new Error(`${err.message}\ndnsmasq:\n${dnsmasq.output().slice(-2000)}`); });
  });

  after(async () => {
    const errors: unknown[] = [];
    if (driver && inst && !destroyed) await driver.destroy(inst, vifs).catch((e: unknown) => errors.push(e));
    if (driver) await driver.cleanupHost().catch((e: unknown) => errors.push(e));
    if (lab) await lab.dispose().catch((e: unknown) => errors.push(e));
    if (closeImages) await closeImages().catch((e: unknown) => errors.push(e));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (errors.length > 0) throw new Error(`cleanup failed: ${errors.map(String).join('; ')}`);
  });

  /** The console line holding `marker`, from the marker on. */
  const lineOf = (marker: string | RegExp): string => {
    const line = log.split(/\r*\n/).find((l) => (typeof marker === 'string' ? l.includes(marker) : marker.test(l)));
    assert.ok(line, `no console line with ${String(marker)}; log tail:\n${log.slice(-3000)}`);
    return line;
  };
  const at = (marker: string) => {
    const i = log.indexOf(marker);
    assert.ok(i >= 0, `no ${marker} on the console`);
    return i;
  };

  test('the NIC on the bridge gets exactly the address dnsmasq holds for its MAC, with router and MTU', () => {
    const leased = lineOf(new RegExp(`${M.netPrefix}eth\\d ip=`));
    assert.match(leased, new RegExp(`${M.netPrefix}eth\\d ip=${SUBNET.guest.replace(/\./g, '\\.')}/${SUBNET.prefix} router=${SUBNET.router.replace(/\./g, '\\.')} mtu=${SUBNET.mtu}$`));
    assert.match(dnsmasq.output(), new RegExp(`DHCPACK\\(eth0\\) ${SUBNET.guest.replace(/\./g, '\\.')} ${vifs[0]!.address}`));
  });

  test('the classless routes are applied: the metadata address through the DHCP server, the default through the router', () => {
    assert.ok(lineOf(`LAB-ROUTE ${METADATA_IP} via ${SUBNET.dhcp} dev eth`));
    assert.ok(lineOf(`LAB-ROUTE default via ${SUBNET.router} dev eth`));
  });

  test('the NIC wired to nothing reports no lease after the bounded wait, and the guest still comes up', (t) => {
    assert.match(lineOf(M.netNoLease), new RegExp(`${M.netPrefix}eth\\d ${M.netNoLease} waited=\\d+s`));
    assert.match(lineOf(M.networkUp), /network-up ifaces=1 uptime=/);
    const uptime = (marker: string) => Number(/uptime=(\d+(?:\.\d+)?)/.exec(lineOf(marker))?.[1]);
    t.diagnostic(`guest uptime: booted ${uptime(M.booted)} s, network-up ${uptime(M.networkUp)} s, ready ${uptime(M.ready)} s`);
  });

  test('the guest reads its own uuid and hostname from the metadata service and applies the hostname', () => {
    assert.match(lineOf(M.metadataUuidPrefix), new RegExp(`${M.metadataUuidPrefix}${inst.uuid} hostname=${hostname}$`));
    assert.match(lineOf(M.hostnamePrefix), new RegExp(`${M.hostnamePrefix}${hostname}$`));
    assert.ok(log.includes(M.noConfigDrive), 'this guest has no config drive; everything came over the network');
  });

  test('user data comes from the metadata service, runs after the network is up, and reaches the DHCP server', () => {
    assert.match(lineOf(M.userDataStarting), /source=metadata$/);
    assert.ok(at(M.networkUp) < at(M.userDataStarting), 'network-up before user data');
    assert.ok(at(M.metadataUuidPrefix) < at(M.userDataStarting));
    assert.equal(lineOf(pingMarker).trim(), `${pingMarker} ok`);
    assert.ok(lineOf(`${M.userDataExitedPrefix}0`));
    assert.ok(at(`${M.userDataExitedPrefix}0`) < at(M.ready));
  });

  test('the lab leaves nothing behind: its namespaces (bridge, veths, taps, daemons in them) are gone', async () => {
    await driver!.destroy(inst, vifs);
    destroyed = true;
    await lab!.dispose();
    const left = (await existingNamespaces()).filter((n) => lab!.namespaceNames().includes(n));
    assert.deepEqual(left, []);
    assert.notEqual(dnsmasq.process.exitCode ?? dnsmasq.process.signalCode, null, 'dnsmasq stopped');
    lab = undefined;
  });
});
