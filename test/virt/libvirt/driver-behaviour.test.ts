/**
 * LibvirtDriver behaviour beyond the common driver contract, on real guests:
 * the fallbacks when a guest does not answer ACPI (a clean stop destroys it
 * after shutdown_timeout; a soft reboot turns hard after
 * wait_soft_reboot_seconds), interface hot-plug, lifecycle events reaching a listener, the files
 * of an instance and a failed spawn that leaves nothing behind.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { LibvirtDriver } from '../../../src/virt/libvirt/driver.js';
import { PowerState, SpawnFailed, type DriverInstance, type LifecycleEvent } from '../../../src/virt/driver.js';
import type { ImageMeta } from '../../../src/objects/image-meta.js';
import type { Flavor } from '../../../src/objects/flavor.js';
import { testLogger } from '../../helpers/logger.js';
import { libvirtDomainUuids, skipWithoutLibvirt, testGuestImages, virsh } from '../../helpers/libvirt.js';

const flavor: Flavor = {
  id: 1, flavorid: '1', name: 'm1.tiny', memory_mb: 256, vcpus: 1, root_gb: 1, ephemeral_gb: 0, swap: 0,
  rxtx_factor: 1, is_public: true, disabled: false, description: null, extra_specs: {},
};

describe('libvirt driver behaviour', { skip: skipWithoutLibvirt, timeout: 300_000 }, () => {
  let dir: string;
  let image: ImageMeta;
  let closeImages: () => Promise<void>;
  let driver: LibvirtDriver;
  const events: LifecycleEvent[] = [];
  const made: DriverInstance[] = [];

  function instance(img: ImageMeta = image): DriverInstance {
    const inst: DriverInstance = {
      uuid: randomUUID(), name: `instance-${randomBytes(4).toString('hex')}`, hostname: 'behaviour', displayName: 'behaviour',
      projectId: 'p', userId: 'u', availabilityZone: null, launchIndex: 0, createdAt: new Date().toISOString(),
      flavor, image: img, userData: null, keyName: null, keyData: null, metadata: {}, configDrive: false,
    };
    made.push(inst);
    return inst;
  }

  const spawn = (inst: DriverInstance) => driver.spawn({ instance: inst, networkInfo: [], blockDeviceInfo: { rootDeviceName: '/dev/vda', devices: [] } });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-libvirt-behaviour-'));
    const imgs = await testGuestImages(dir);
    image = imgs.image;
    closeImages = imgs.close;
    // One second for ACPI: a guest that has only just started has no ACPI handler yet, so it cannot answer in time.
    driver = new LibvirtDriver({
      virtType: 'qemu', connectionUri: 'qemu:///system', instancesPath: path.join(dir, 'instances'),
      forceConfigDrive: false, shutdownTimeoutS: 1, softRebootTimeoutS: 1, bootTimeoutS: 60,
      images: imgs.images, logger: testLogger, packageVersion: 'test',
    });
    driver.registerLifecycleListener((e) => events.push(e));
    await driver.initHost('behaviour-host');
  });

  after(async () => {
    for (const inst of made) await driver.destroy(inst, []).catch(() => undefined);
    await driver.cleanupHost();
    await closeImages();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a clean stop of a guest that does not answer ACPI destroys it after shutdown_timeout', async () => {
    const inst = instance();
    await spawn(inst);
    const t = performance.now();
    await driver.powerOff(inst);
    assert.ok(performance.now() - t >= 1000, 'it waited for the guest first');
    assert.equal((await driver.getInfo(inst)).state, PowerState.SHUTDOWN);
  });

  test('a soft reboot of a guest that does not answer ACPI turns into a hard reboot', async () => {
    const inst = instance();
    await spawn(inst);
    const before = virsh('domid', inst.uuid).trim();
    await driver.reboot(inst, 'SOFT');
    assert.equal((await driver.getInfo(inst)).state, PowerState.RUNNING);
    assert.notEqual(virsh('domid', inst.uuid).trim(), before, 'a new QEMU process runs the guest');
  });

  test('a hot-plugged interface is in the running guest and its definition, with the port\'s tap and MAC; detached, it is in neither', async () => {
    const inst = instance();
    await spawn(inst);
    const vif = { id: randomUUID(), address: 'fa:16:3e:12:34:56', network: { id: 'n', label: 'private', subnets: [] } };
    const tap = `tap${vif.id.slice(0, 11)}`;
    await driver.attachInterface(inst, vif);
    assert.match(virsh('domiflist', inst.uuid), new RegExp(`${tap}\\s+ethernet\\s+-\\s+virtio\\s+${vif.address}`));
    assert.match(virsh('dumpxml', '--inactive', inst.uuid), new RegExp(vif.address));
    await driver.attachInterface(inst, vif);
    assert.equal(virsh('dumpxml', inst.uuid).split(vif.address).length - 1, 1, 'a second attach of the same port adds nothing');
    await driver.powerOff(inst);
    await driver.detachInterface(inst, vif);
    assert.doesNotMatch(virsh('dumpxml', '--inactive', inst.uuid), new RegExp(vif.address));
    await driver.powerOn(inst);
    assert.doesNotMatch(virsh('domiflist', inst.uuid), new RegExp(vif.address));
  });

  test('lifecycle events reach the listener with the guest\'s uuid and new power state', async () => {
    const inst = instance();
    await spawn(inst);
    await driver.pause(inst);
    await driver.unpause(inst);
    const deadline = Date.now() + 10_000;
    const mine = () => events.filter((e) => e.uuid === inst.uuid).map((e) => e.state);
    while (Date.now() < deadline && !mine().includes(PowerState.PAUSED)) await sleep(50);
    assert.deepEqual(mine().filter((s) => s !== PowerState.RUNNING).slice(0, 1), [PowerState.PAUSED]);
    assert.ok(mine().includes(PowerState.RUNNING));
  });

  test('an instance\'s files live in its own directory: overlay on the cached image, kernel, ramdisk, console log', async () => {
    const inst = instance();
    await spawn(inst);
    const files = fs.readdirSync(path.join(dir, 'instances', inst.uuid)).sort();
    for (const f of ['disk', 'kernel', 'ramdisk']) assert.ok(files.includes(f), `${f} in ${files.join(',')}`);
    assert.ok(fs.existsSync(path.join(dir, 'instances', '_base', image.id)));
    await driver.destroy(inst, []);
    assert.equal(fs.existsSync(path.join(dir, 'instances', inst.uuid)), false);
    assert.equal(libvirtDomainUuids().includes(inst.uuid), false);
  });

  test('a spawn whose image is missing fails with a clean message and leaves nothing', async () => {
    const inst = instance({ ...image, id: randomUUID() });
    await assert.rejects(spawn(inst), (err: unknown) => {
      assert.ok(err instanceof SpawnFailed, String(err));
      assert.match(err.message, /^Image [0-9a-f-]{36} is unacceptable: the image service could not provide it \(No image found with ID [0-9a-f-]{36}\)$/);
      assert.doesNotMatch(err.message, /\n|at .*\.js/);
      return true;
    });
    assert.equal(fs.existsSync(path.join(dir, 'instances', inst.uuid)), false);
    assert.equal(libvirtDomainUuids().includes(inst.uuid), false);
  });
});
