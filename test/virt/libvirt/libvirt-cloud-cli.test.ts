/**
 * Real guests end to end: the all-in-one with the libvirt driver (QEMU TCG),
 * the test guest registered by `kilonova image build-test-guest`, and every
 * step driven by the real `openstack` CLI — create with user data and a config
 * drive, the console log, soft and hard reboot, stop/start, pause/unpause,
 * suspend/resume, a guest that powers itself off, delete — and then nothing of
 * the guest is left in libvirt or on disk. A guest whose kernel cannot boot
 * ends in ERROR with a clean fault and leaves nothing behind either.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAIN_JS, startCloudProcess, type CloudProcess } from '../../helpers/cloud.js';
import { openstackCli, skipWithoutOpenstackCli } from '../../helpers/openstack-cli.js';
import { leftoverFiles, libvirtDomainUuids, skipWithoutLibvirt, testGuestDir, uniqueInstanceNameTemplate, virsh } from '../../helpers/libvirt.js';
import { TEST_GUEST_MARKERS } from '../../../src/virt/libvirt/test-guest/build.js';

const skip = skipWithoutLibvirt || skipWithoutOpenstackCli;

function kilonova(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [MAIN_JS, ...args], { timeout: 15 * 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kilonova ${args.join(' ')} failed:\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

describe('real guests through the openstack CLI (libvirt, QEMU TCG)', { skip, timeout: 900_000 }, () => {
  let statePath: string;
  let instancesPath: string;
  let cloud: CloudProcess;
  const cli = openstackCli(() => statePath);
  const marker = `user-data-ran-${randomBytes(6).toString('hex')}`;
  let serverId = '';

  async function status(id: string): Promise<string> {
    return (await cli.run('kilonova', ['server', 'show', id, '-f', 'value', '-c', 'status'])).trim();
  }

  async function waitForStatus(id: string, want: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      last = await status(id);
      if (last === want) return;
      if (last === 'ERROR' && want !== 'ERROR') break;
      await sleep(500);
    }
    const show = await cli.json('kilonova', ['server', 'show', id]).catch(() => ({}));
    assert.fail(`server ${id} is ${last}, not ${want}; fault: ${JSON.stringify(show.fault ?? null)}`);
  }

  /** Polls `openstack console log show` until every string in `wanted` is there. */
  async function waitForConsole(id: string, wanted: string[], timeoutMs = 120_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let log = '';
    while (Date.now() < deadline) {
      log = await cli.run('kilonova', ['console', 'log', 'show', id]);
      if (wanted.every((w) => log.includes(w))) return log;
      await sleep(500);
    }
    assert.fail(`console of ${id} lacks ${JSON.stringify(wanted.filter((w) => !log.includes(w)))}; it holds:\n${log.slice(-3000)}`);
  }

  before(async () => {
    statePath = fs.mkdtempSync(path.join(os.tmpdir(), 'kilonova-libvirt-'));
    instancesPath = path.join(statePath, 'instances');
    cloud = await startCloudProcess({
      statePath, args: ['--driver', 'libvirt'],
      // Periodic tasks (and heartbeats) every 10 minutes: within this test a
      // guest's own power change can only arrive through libvirt's lifecycle events.
      env: {
        KILONOVA_LIBVIRT__VIRT_TYPE: 'qemu', KILONOVA_DEFAULT__SHUTDOWN_TIMEOUT: '30', KILONOVA_DEFAULT__INSTANCE_NAME_TEMPLATE: uniqueInstanceNameTemplate(),
        KILONOVA_DEFAULT__REPORT_INTERVAL: '600', KILONOVA_DEFAULT__SERVICE_DOWN_TIME: '1800',
      },
    });
    const out = await kilonova(['image', 'build-test-guest', '--state-path', statePath, '--output-dir', testGuestDir()]);
    assert.match(out, /registered: image [0-9a-f-]{36}/);
  });

  after(async () => {
    if (cloud) await cloud.stop();
    // Belt and braces: a failed test must not leave a running guest on the machine.
    for (const uuid of libvirtDomainUuids()) {
      if (fs.existsSync(path.join(instancesPath ?? '/nonexistent', uuid))) {
        try { virsh('destroy', uuid); } catch { /* not running */ }
        try { virsh('undefine', uuid, '--managed-save'); } catch { /* gone */ }
      }
    }
    if (statePath) fs.rmSync(statePath, { recursive: true, force: true });
  });

  test('the start line says the libvirt driver runs', () => {
    assert.match(cloud.stdout(), /compute driver: libvirt\.LibvirtDriver/);
  });

  test('the test guest is registered as a UEC image: aki + ari + disk with kernel_id/ramdisk_id', async () => {
    const image = await cli.json('kilonova', ['image', 'show', 'kilonova-test-guest']);
    const props = image.properties ?? {};
    const kernel = await cli.json('kilonova', ['image', 'show', props.kernel_id]);
    const ramdisk = await cli.json('kilonova', ['image', 'show', props.ramdisk_id]);
    assert.equal(image.disk_format, 'qcow2');
    assert.equal(kernel.disk_format, 'aki');
    assert.equal(ramdisk.disk_format, 'ari');
    // Registering again reuses the same images.
    const again = await kilonova(['image', 'build-test-guest', '--state-path', statePath, '--output-dir', testGuestDir()]);
    assert.match(again, new RegExp(`already registered: image ${image.id}`));
  });

  test('create with --user-data and --config-drive boots the guest: boot marker, hostname, user data on the console', async () => {
    const userData = path.join(statePath, 'user-data.sh');
    fs.writeFileSync(userData, `#!/bin/sh\necho ${marker}\n`);
    const server = await cli.json('kilonova', [
      'server', 'create', '--image', 'kilonova-test-guest', '--flavor', 'm1.tiny', '--network', 'private',
      '--user-data', userData, '--config-drive', 'true', '--wait', 'guest-one',
    ], 300_000).catch(async (err: Error) => {
      const show = await cli.json('kilonova', ['server', 'show', 'guest-one']).catch(() => ({}));
      throw new Error(`${err.message}\nfault: ${JSON.stringify(show.fault ?? null)}\ncloud log tail:\n${cloud.stderr().slice(-4000)}`);
    });
    serverId = server.id;
    assert.equal(server.status, 'ACTIVE');
    const log = await waitForConsole(serverId, [TEST_GUEST_MARKERS.booted, `${TEST_GUEST_MARKERS.hostnamePrefix}guest-one`, marker, TEST_GUEST_MARKERS.ready]);
    assert.match(log, /KILONOVA-TEST-GUEST booted uptime=\d+(\.\d+)?/);
    const domains = libvirtDomainUuids();
    assert.ok(domains.includes(serverId), 'libvirt has the domain');
    assert.match(virsh('domstate', serverId), /running/);
    const xml = virsh('dumpxml', serverId);
    assert.match(xml, /<kilonova:name>guest-one<\/kilonova:name>/);
    assert.match(xml, /disk\.config/);
  });

  test('soft reboot (ACPI) and hard reboot bring the guest back up', async () => {
    assert.ok(serverId, 'the guest was created');
    await cli.run('kilonova', ['server', 'reboot', '--soft', '--wait', serverId], 300_000);
    await waitForStatus(serverId, 'ACTIVE');
    await waitForConsole(serverId, [TEST_GUEST_MARKERS.ready]);
    await cli.run('kilonova', ['server', 'reboot', '--hard', '--wait', serverId], 300_000);
    await waitForStatus(serverId, 'ACTIVE');
    await waitForConsole(serverId, [TEST_GUEST_MARKERS.booted, TEST_GUEST_MARKERS.ready]);
    assert.match(virsh('domstate', serverId), /running/);
  });

  test('stop gives SHUTOFF with the domain shut off; start runs it again', async () => {
    await cli.run('kilonova', ['server', 'stop', serverId]);
    await waitForStatus(serverId, 'SHUTOFF');
    assert.match(virsh('domstate', serverId), /shut off/);
    await cli.run('kilonova', ['server', 'start', serverId]);
    await waitForStatus(serverId, 'ACTIVE');
    assert.match(virsh('domstate', serverId), /running/);
    await waitForConsole(serverId, [TEST_GUEST_MARKERS.ready]);
  });

  test('pause and unpause', async () => {
    await cli.run('kilonova', ['server', 'pause', serverId]);
    await waitForStatus(serverId, 'PAUSED');
    assert.match(virsh('domstate', serverId), /paused/);
    await cli.run('kilonova', ['server', 'unpause', serverId]);
    await waitForStatus(serverId, 'ACTIVE');
    assert.match(virsh('domstate', serverId), /running/);
  });

  test('suspend saves the guest to disk (managed save); resume restores it', async () => {
    await cli.run('kilonova', ['server', 'suspend', serverId]);
    await waitForStatus(serverId, 'SUSPENDED');
    assert.match(virsh('domstate', serverId), /shut off/);
    assert.match(virsh('dominfo', serverId), /Managed save:\s+yes/);
    await cli.run('kilonova', ['server', 'resume', serverId]);
    await waitForStatus(serverId, 'ACTIVE');
    assert.match(virsh('domstate', serverId), /running/);
  });

  test('a guest that powers itself off shows SHUTOFF at once (libvirt lifecycle event)', async () => {
    // An ACPI shutdown from outside the cloud: the guest itself powers off.
    virsh('shutdown', serverId, '--mode', 'acpi');
    await waitForStatus(serverId, 'SHUTOFF', 20_000);
    const show = await cli.json('kilonova', ['server', 'show', serverId]);
    assert.equal(show['OS-EXT-STS:power_state'], 4, 'power_state SHUTDOWN (4)');
    await cli.run('kilonova', ['server', 'start', serverId]);
    await waitForStatus(serverId, 'ACTIVE');
  });

  test('delete leaves no domain, overlay, console log or config drive behind', async () => {
    const dir = path.join(instancesPath, serverId);
    for (const f of ['disk', 'console.log', 'disk.config']) assert.ok(fs.existsSync(path.join(dir, f)), `${f} exists while the server does`);
    await cli.run('kilonova', ['server', 'delete', '--wait', serverId], 300_000);
    assert.equal(libvirtDomainUuids().includes(serverId), false, 'the domain is gone');
    assert.deepEqual(leftoverFiles(instancesPath, serverId), []);
    const ports = await cli.json('kilonova', ['port', 'list', '--device-id', serverId]);
    assert.deepEqual(ports, []);
  });

  test('a guest whose kernel cannot boot ends ERROR with a clean fault and leaves nothing behind', async () => {
    const badKernel = path.join(statePath, 'bad-kernel');
    fs.writeFileSync(badKernel, randomBytes(64 * 1024));
    const image = await cli.json('kilonova', ['image', 'show', 'kilonova-test-guest']);
    const kernel = await cli.json('kilonova', ['image', 'create', '--disk-format', 'aki', '--container-format', 'aki', '--file', badKernel, 'broken-kernel']);
    const disk = path.join(testGuestDir(), path.basename(image.file ?? 'disk.qcow2'));
    const diskFile = fs.existsSync(disk) ? disk : fs.readdirSync(testGuestDir()).map((f) => path.join(testGuestDir(), f)).find((f) => f.endsWith('.qcow2'))!;
    await cli.json('kilonova', [
      'image', 'create', '--disk-format', 'qcow2', '--container-format', 'bare', '--file', diskFile,
      '--property', `kernel_id=${kernel.id}`, '--property', `ramdisk_id=${image.properties.ramdisk_id}`, 'broken-guest',
    ]);
    const server = await cli.json('kilonova', ['server', 'create', '--image', 'broken-guest', '--flavor', 'm1.tiny', '--network', 'private', 'doomed']);
    await waitForStatus(server.id, 'ERROR', 180_000);
    const show = await cli.json('kilonova', ['server', 'show', server.id]);
    const fault = show.fault as { message: string; code: number };
    assert.match(fault.message, /could not start the guest/);
    assert.doesNotMatch(fault.message, /Traceback|at .*\.js:\d+|Error:/, 'no raw exception text');
    assert.equal(libvirtDomainUuids().includes(server.id), false, 'no domain left');
    assert.deepEqual(leftoverFiles(instancesPath, server.id), []);
    assert.deepEqual(await cli.json('kilonova', ['port', 'list', '--device-id', server.id]), []);
    await cli.run('kilonova', ['server', 'delete', '--wait', server.id]);
  });
});
