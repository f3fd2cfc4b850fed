/**
 * The VirtDriver contract, run against every implementation through the
 * interface only. A new driver (libvirt) adds one factory to IMPLEMENTATIONS;
 * the tests never change. Power states are Nova's power_state values.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  DriverNotSupported, InstanceNotFoundOnHost, InvalidPowerState, PowerState,
  type DriverInstance, type SpawnRequest, type VifInfo, type VirtDriver,
} from '../../src/virt/driver.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeDriver } from '../../src/virt/fake/driver.js';
import { LibvirtDriver } from '../../src/virt/libvirt/driver.js';
import { testLogger } from '../helpers/logger.js';
import { skipWithoutLibvirt, testGuestImages } from '../helpers/libvirt.js';
import type { Flavor } from '../../src/objects/flavor.js';
import type { ImageMeta } from '../../src/objects/image-meta.js';

interface DriverUnderTest {
  driver: VirtDriver;
  /** The compute host name given to initHost. */
  host: string;
  /** An image the driver can boot. */
  image: ImageMeta;
  /**
   * power_state of a suspended guest, as the driver's Nova counterpart reports
   * it: libvirt's managed save leaves a shut-off domain (SHUTDOWN).
   */
  suspendedState: number;
  dispose(): Promise<void>;
}

const IMPLEMENTATIONS: Array<{ name: string; skip?: string | false; open(): Promise<DriverUnderTest> }> = [
  {
    name: 'fake',
    async open() {
      return {
        driver: new FakeDriver({ vcpus: 64, memoryMb: 262144, localGb: 4000 }),
        host: 'contract-host',
        image: {
          id: randomUUID(), name: 'cirros', disk_format: 'qcow2', container_format: 'bare',
          size: 21430272, min_disk: 0, min_ram: 0, properties: {},
        },
        suspendedState: PowerState.SUSPENDED,
        dispose: async () => undefined,
      };
    },
  },
  {
    name: 'libvirt (QEMU TCG)',
    skip: skipWithoutLibvirt,
    async open() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-contract-libvirt-'));
      const { images, image, close } = await testGuestImages(dir);
      return {
        driver: new LibvirtDriver({
          virtType: 'qemu', connectionUri: 'qemu:///system', instancesPath: path.join(dir, 'instances'),
          forceConfigDrive: false, shutdownTimeoutS: 5, softRebootTimeoutS: 15, bootTimeoutS: 60,
          images, logger: testLogger, packageVersion: 'contract',
        }),
        host: 'contract-host',
        image,
        suspendedState: PowerState.SHUTDOWN,
        dispose: async () => {
          await close();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

const flavor: Flavor = {
  id: 1, flavorid: '1', name: 'm1.tiny', memory_mb: 512, vcpus: 1, root_gb: 1, ephemeral_gb: 0, swap: 0,
  rxtx_factor: 1, is_public: true, disabled: false, description: null, extra_specs: {},
};

let seq = 0;
function newInstance(image: ImageMeta, f: Flavor = flavor): DriverInstance {
  const uuid = randomUUID();
  seq++;
  return {
    // Random names: two runs on one libvirt host must not collide.
    uuid, name: `instance-${randomBytes(4).toString('hex')}`, hostname: `contract-${seq}`,
    displayName: 'contract', projectId: 'contract-project', userId: 'contract-user', availabilityZone: null, launchIndex: 0, createdAt: new Date().toISOString(), flavor: f, image, userData: null, keyName: null, keyData: null, metadata: {}, configDrive: false,
  };
}

const networkInfo: VifInfo[] = [];

function spawnRequest(instance: DriverInstance): SpawnRequest {
  return { instance, networkInfo, blockDeviceInfo: { rootDeviceName: '/dev/vda', devices: [] } };
}

for (const impl of IMPLEMENTATIONS) {
  describe(`VirtDriver contract: ${impl.name}`, { skip: impl.skip ?? false }, () => {
    let sut: DriverUnderTest;
    let d: VirtDriver;
    let node: string;
    const spawned: DriverInstance[] = [];

    async function boot(f: Flavor = flavor): Promise<DriverInstance> {
      const inst = newInstance(sut.image, f);
      await d.spawn(spawnRequest(inst));
      spawned.push(inst);
      return inst;
    }

    async function state(inst: DriverInstance): Promise<number> {
      return (await d.getInfo(inst)).state;
    }

    before(async () => {
      sut = await impl.open();
      d = sut.driver;
      await d.initHost(sut.host);
      const nodes = await d.getAvailableNodes();
      assert.ok(nodes.length >= 1, 'a driver reports at least one node');
      node = nodes[0];
    });
    after(async () => {
      for (const inst of spawned) await d.destroy(inst, networkInfo).catch(() => undefined);
      assert.deepEqual((await d.listInstances()).filter((u) => spawned.some((i) => i.uuid === u)), [], 'guests left behind');
      // The service's last call to the driver: it must complete (a failure here fails the suite).
      await d.cleanupHost();
      await sut.dispose();
    });

    test('has a type name and reports string node names', async () => {
      assert.equal(typeof d.type, 'string');
      assert.ok(d.type.length > 0);
      for (const n of await d.getAvailableNodes()) assert.equal(typeof n, 'string');
    });

    test('spawn gives a RUNNING guest that listInstances reports', async () => {
      const inst = await boot();
      assert.equal(await state(inst), PowerState.RUNNING);
      assert.ok((await d.listInstances()).includes(inst.uuid));
    });

    test('destroy removes the guest, and destroying again succeeds', async () => {
      const inst = await boot();
      await d.destroy(inst, networkInfo);
      assert.equal((await d.listInstances()).includes(inst.uuid), false);
      await assert.rejects(d.getInfo(inst), InstanceNotFoundOnHost);
      await d.destroy(inst, networkInfo);
    });

    test('destroying a guest that never existed succeeds', async () => {
      await d.destroy(newInstance(sut.image), networkInfo);
    });

    test('destroy works from every power state', async () => {
      const off = await boot();
      await d.powerOff(off);
      const paused = await boot();
      await d.pause(paused);
      const suspended = await boot();
      await d.suspend(suspended);
      for (const inst of [off, paused, suspended]) await d.destroy(inst, networkInfo);
      const left = await d.listInstances();
      for (const inst of [off, paused, suspended]) assert.equal(left.includes(inst.uuid), false);
    });

    test('powerOff gives SHUTDOWN and powerOn gives RUNNING again', async () => {
      const inst = await boot();
      await d.powerOff(inst);
      assert.equal(await state(inst), PowerState.SHUTDOWN);
      assert.ok((await d.listInstances()).includes(inst.uuid), 'a stopped guest still exists');
      await d.powerOn(inst);
      assert.equal(await state(inst), PowerState.RUNNING);
    });

    test('pause gives PAUSED and unpause gives RUNNING', async () => {
      const inst = await boot();
      await d.pause(inst);
      assert.equal(await state(inst), PowerState.PAUSED);
      await d.unpause(inst);
      assert.equal(await state(inst), PowerState.RUNNING);
    });

    test('suspend gives the suspended state and resume gives RUNNING', async () => {
      const inst = await boot();
      await d.suspend(inst);
      assert.equal(await state(inst), sut.suspendedState);
      await d.resume(inst);
      assert.equal(await state(inst), PowerState.RUNNING);
    });

    test('soft and hard reboot leave the guest RUNNING; a hard reboot starts a stopped guest', async () => {
      const inst = await boot();
      await d.reboot(inst, 'SOFT');
      assert.equal(await state(inst), PowerState.RUNNING);
      await d.reboot(inst, 'HARD');
      assert.equal(await state(inst), PowerState.RUNNING);
      await d.powerOff(inst);
      await d.reboot(inst, 'HARD');
      assert.equal(await state(inst), PowerState.RUNNING);
    });

    test('invalid transitions are rejected with InvalidPowerState and change nothing', async () => {
      const inst = await boot();
      await assert.rejects(d.unpause(inst), InvalidPowerState);
      await assert.rejects(d.resume(inst), InvalidPowerState);
      assert.equal(await state(inst), PowerState.RUNNING);

      await d.powerOff(inst);
      await assert.rejects(d.pause(inst), InvalidPowerState);
      await assert.rejects(d.suspend(inst), InvalidPowerState);
      await assert.rejects(d.unpause(inst), InvalidPowerState);
      assert.equal(await state(inst), PowerState.SHUTDOWN);

      await d.powerOn(inst);
      await d.pause(inst);
      await assert.rejects(d.resume(inst), InvalidPowerState);
      assert.equal(await state(inst), PowerState.PAUSED);
      await d.unpause(inst);

      await d.suspend(inst);
      await assert.rejects(d.unpause(inst), InvalidPowerState);
      await assert.rejects(d.pause(inst), InvalidPowerState);
      assert.equal(await state(inst), sut.suspendedState);
    });

    test('an unknown guest is InstanceNotFoundOnHost for every per-guest operation but destroy', async () => {
      const ghost = newInstance(sut.image);
      const ops: Array<[string, () => Promise<unknown>]> = [
        ['getInfo', () => d.getInfo(ghost)],
        ['powerOff', () => d.powerOff(ghost)],
        ['powerOn', () => d.powerOn(ghost)],
        ['pause', () => d.pause(ghost)],
        ['unpause', () => d.unpause(ghost)],
        ['suspend', () => d.suspend(ghost)],
        ['resume', () => d.resume(ghost)],
        ['reboot', () => d.reboot(ghost, 'HARD')],
        ['getConsoleOutput', () => d.getConsoleOutput(ghost)],
      ];
      for (const [name, op] of ops) {
        await assert.rejects(op(), (err: unknown) => {
          assert.ok(err instanceof InstanceNotFoundOnHost, `${name}: ${String(err)}`);
          assert.equal(err.uuid, ghost.uuid);
          assert.equal(err.name, 'InstanceNotFoundOnHost');
          return true;
        });
      }
    });

    test('spawning a uuid that already has a guest fails and leaves the first guest alone', async () => {
      const inst = await boot();
      await assert.rejects(d.spawn(spawnRequest(inst)));
      assert.equal(await state(inst), PowerState.RUNNING);
      assert.equal((await d.listInstances()).filter((u) => u === inst.uuid).length, 1);
    });

    test('guests are independent: acting on one leaves the others as they were', async () => {
      const [a, b, c] = await Promise.all([boot(), boot(), boot()]);
      await d.pause(a);
      await d.powerOff(b);
      assert.deepEqual([await state(a), await state(b), await state(c)], [PowerState.PAUSED, PowerState.SHUTDOWN, PowerState.RUNNING]);
      const listed = await d.listInstances();
      for (const inst of [a, b, c]) assert.ok(listed.includes(inst.uuid));
    });

    test('getAvailableResource reports the node\'s capacity', async () => {
      const r = await d.getAvailableResource(node);
      assert.equal(r.hypervisorHostname, node);
      assert.equal(typeof r.hypervisorType, 'string');
      assert.ok(Number.isInteger(r.hypervisorVersion));
      for (const k of ['vcpus', 'memoryMb', 'localGb'] as const) assert.ok(Number.isInteger(r[k]) && r[k] > 0, `${k}=${r[k]}`);
      for (const k of ['vcpusUsed', 'memoryMbUsed', 'localGbUsed'] as const) assert.ok(Number.isFinite(r[k]) && r[k] >= 0, `${k}=${r[k]}`);
      assert.ok(r.diskAvailableLeast === null || Number.isFinite(r.diskAvailableLeast));
      assert.equal(typeof r.cpuInfo, 'object');
    });

    test('usage grows with guests and shrinks when they go', async () => {
      const big: Flavor = { ...flavor, id: 2, flavorid: '2', name: 'm1.contract', vcpus: 2, memory_mb: 1024, root_gb: 2 };
      const before = await d.getAvailableResource(node);
      const inst = await boot(big);
      const during = await d.getAvailableResource(node);
      assert.equal(during.vcpusUsed - before.vcpusUsed, big.vcpus);
      assert.ok(during.memoryMbUsed >= big.memory_mb, `memoryMbUsed ${during.memoryMbUsed} counts the guest`);
      assert.equal(during.vcpus, before.vcpus, 'capacity does not change with guests');
      await d.destroy(inst, networkInfo);
      const afterwards = await d.getAvailableResource(node);
      assert.equal(afterwards.vcpusUsed, before.vcpusUsed);
    });

    test('setAdminPassword: a running guest takes it; a stopped one is InvalidPowerState; without the capability, DriverNotSupported', async () => {
      const inst = await boot();
      if (!d.capabilities.supportsSetAdminPassword) {
        await assert.rejects(d.setAdminPassword(inst, 'n3w'), DriverNotSupported);
        return;
      }
      await d.setAdminPassword(inst, 'n3w');
      assert.equal(await state(inst), PowerState.RUNNING);
      await d.powerOff(inst);
      await assert.rejects(d.setAdminPassword(inst, 'n3w'), InvalidPowerState);
      await assert.rejects(d.setAdminPassword(newInstance(sut.image), 'n3w'), InstanceNotFoundOnHost);
    });

    test('injectNmi: a running guest takes it and keeps running; without the capability, DriverNotSupported', async () => {
      const inst = await boot();
      if (!d.capabilities.supportsTriggerCrashDump) {
        await assert.rejects(d.injectNmi(inst), DriverNotSupported);
        return;
      }
      await d.injectNmi(inst);
      assert.equal(await state(inst), PowerState.RUNNING);
      await d.powerOff(inst);
      await assert.rejects(d.injectNmi(inst), InvalidPowerState);
      await assert.rejects(d.injectNmi(newInstance(sut.image)), InstanceNotFoundOnHost);
    });

    test('rescue boots a running or stopped guest RUNNING from the rescue image; unrescue gives RUNNING; without the capability, DriverNotSupported', async () => {
      const inst = await boot();
      if (!d.capabilities.supportsRescue) {
        await assert.rejects(d.rescue(inst, sut.image, 'pw'), DriverNotSupported);
        await assert.rejects(d.unrescue(inst), DriverNotSupported);
        return;
      }
      await assert.rejects(d.unrescue(inst), InvalidPowerState, 'a guest that is not rescued cannot be unrescued');
      await d.rescue(inst, sut.image, 'pw');
      assert.equal(await state(inst), PowerState.RUNNING);
      await d.unrescue(inst);
      assert.equal(await state(inst), PowerState.RUNNING);
      await d.powerOff(inst);
      await d.rescue(inst, sut.image, 'pw');
      assert.equal(await state(inst), PowerState.RUNNING);
      await d.unrescue(inst);
      await assert.rejects(d.rescue(newInstance(sut.image), sut.image, 'pw'), InstanceNotFoundOnHost);
    });

    test('snapshot gives non-empty image data in any power state and leaves the guest as it was; without the capability, DriverNotSupported', async () => {
      const inst = await boot();
      if (!d.capabilities.supportsSnapshot) {
        await assert.rejects(d.snapshot(inst), DriverNotSupported);
        return;
      }
      const running = await d.snapshot(inst);
      assert.ok(running.data.length > 0);
      assert.ok(['raw', 'qcow2'].includes(running.diskFormat));
      assert.equal(running.containerFormat, 'bare');
      assert.equal(await state(inst), PowerState.RUNNING);
      await d.powerOff(inst);
      assert.ok((await d.snapshot(inst)).data.length > 0);
      assert.equal(await state(inst), PowerState.SHUTDOWN);
      await assert.rejects(d.snapshot(newInstance(sut.image)), InstanceNotFoundOnHost);
    });

    test('getRemoteConsole: the fake serves a VNC display there (RFB greeting); libvirt without [vnc] answers DriverNotSupported; an unknown guest is InstanceNotFoundOnHost', async () => {
      const inst = await boot();
      await assert.rejects(d.getRemoteConsole(newInstance(sut.image), 'vnc'), InstanceNotFoundOnHost);
      if (d.type !== 'fake') {
        await assert.rejects(d.getRemoteConsole(inst, 'vnc'), DriverNotSupported);
        return;
      }
      const c = await d.getRemoteConsole(inst, 'vnc');
      const socket = net.connect(c.port, c.host);
      try {
        const [greeting] = await once(socket, 'data') as [Buffer];
        assert.equal(greeting.toString('latin1'), 'RFB 003.008\n');
      } finally {
        socket.destroy();
      }
    });

    test('attachInterface / detachInterface leave the guest in its power state; a second detach succeeds; without the capability, DriverNotSupported', async () => {
      const inst = await boot();
      const vif = { id: '6e0c4a4e-0000-4000-8000-00000000a77a', address: 'fa:16:3e:00:0a:7a', network: { id: 'n', label: 'private', subnets: [] } };
      if (!d.capabilities.supportsAttachInterface) {
        await assert.rejects(d.attachInterface(inst, vif), DriverNotSupported);
        await assert.rejects(d.detachInterface(inst, vif), DriverNotSupported);
        return;
      }
      await d.attachInterface(inst, vif);
      assert.equal(await state(inst), PowerState.RUNNING);
      await d.detachInterface(inst, vif);
      await d.detachInterface(inst, vif);
      await d.powerOff(inst);
      await d.attachInterface(inst, vif);
      assert.equal(await state(inst), PowerState.SHUTDOWN);
      await assert.rejects(d.attachInterface(newInstance(sut.image), vif), InstanceNotFoundOnHost);
    });

    test('resize on one host: migrateDiskAndPowerOff gives SHUTDOWN, finishMigration runs the new size, revert and confirm; without the capability, DriverNotSupported', async () => {
      const inst = await boot();
      const big: Flavor = { ...flavor, id: 3, flavorid: '3', name: 'm1.contract-big', vcpus: 2, memory_mb: 1024 };
      if (!d.capabilities.supportsMigration) {
        await assert.rejects(d.migrateDiskAndPowerOff(inst, big, sut.host), DriverNotSupported);
        return;
      }
      const before = await d.getAvailableResource(node);
      await d.migrateDiskAndPowerOff(inst, big, sut.host);
      assert.equal(await state(inst), PowerState.SHUTDOWN);
      const grown = { ...inst, flavor: big };
      await d.finishMigration(grown, networkInfo, { sameHost: true, powerOn: true });
      assert.equal(await state(inst), PowerState.RUNNING);
      assert.equal((await d.getAvailableResource(node)).vcpusUsed - before.vcpusUsed, big.vcpus - flavor.vcpus);
      await d.finishRevertMigration(inst, networkInfo, { powerOn: false });
      assert.equal(await state(inst), PowerState.SHUTDOWN);
      assert.equal((await d.getAvailableResource(node)).vcpusUsed, before.vcpusUsed);
      await d.migrateDiskAndPowerOff(inst, big, sut.host);
      await d.finishMigration(grown, networkInfo, { sameHost: true, powerOn: true });
      await d.confirmMigration(grown, { sameHost: true });
      assert.equal(await state(inst), PowerState.RUNNING);
      assert.ok((await d.listInstances()).includes(inst.uuid));
    });

    test('console output is a string', async () => {
      const inst = await boot();
      const out = await d.getConsoleOutput(inst);
      assert.equal(typeof out, 'string');
    });

    test('the host uptime is one `uptime` line', async () => {
      assert.match(await d.getHostUptime(), /^ \d\d:\d\d:\d\d up .+ load average: \d+\.\d\d, \d+\.\d\d, \d+\.\d\d$/);
    });
  });
}
