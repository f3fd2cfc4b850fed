import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import {
  buildTestGuest,
  TEST_GUEST_DEFAULT_CACHE_DIR,
  TEST_GUEST_DISK_SIZE_BYTES,
  TEST_GUEST_MARKERS,
  type TestGuestArtifacts,
} from '../../../src/virt/libvirt/test-guest/build.js';
import { testLogger } from '../../helpers/logger.js';

const run = promisify(execFile);

const NEEDED_TOOLS = ['qemu-system-x86_64', 'qemu-img', 'genisoimage', 'apt-get', 'apt-cache', 'dpkg-deb', 'mke2fs'];

async function onPath(tool: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    try {
      await fs.access(path.join(dir, tool), fsConstants.X_OK);
      return true;
    } catch {
      // keep looking
    }
  }
  return false;
}

async function missingPrerequisite(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'not running as root (apt-get download and mke2fs -d need it)';
  for (const tool of NEEDED_TOOLS) if (!(await onPath(tool))) return `${tool} is not installed`;
  return null;
}

const missing = await missingPrerequisite();
// Outside CI a developer box without QEMU just skips; in CI a missing tool is a broken runner and must fail.
const skip = missing !== null && process.env.CI !== 'true' ? missing : false;

/** A config drive the way Nova lays it out: ISO 9660, label config-2, openstack/latest/. */
async function makeConfigDrive(dir: string, hostname: string, userData: string): Promise<string> {
  const root = path.join(dir, 'config-drive');
  await fs.mkdir(path.join(root, 'openstack', 'latest'), { recursive: true });
  await fs.writeFile(
    path.join(root, 'openstack', 'latest', 'meta_data.json'),
    JSON.stringify({ uuid: '5b1f5b5c-1d29-4b4e-9a55-5a4f1b4a6c11', name: 'test guest', hostname, launch_index: 0 }),
  );
  await fs.writeFile(path.join(root, 'openstack', 'latest', 'user_data'), userData);
  const iso = path.join(dir, 'config-drive.iso');
  await run('genisoimage', ['-quiet', '-o', iso, '-V', 'config-2', '-r', '-J', root]);
  return iso;
}

interface RunningGuest {
  qemu: ChildProcess;
  exited: Promise<number | null>;
  serialLog: string;
  qmpSocket: string;
  startedAt: number;
}

async function bootGuest(guest: TestGuestArtifacts, dir: string, iso: string): Promise<RunningGuest> {
  // A throwaway overlay: the guest writes to its root disk, and the cached base must stay pristine.
  const overlay = path.join(dir, 'overlay.qcow2');
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', guest.diskPath, overlay]);
  const serialLog = path.join(dir, 'serial.log');
  const qmpSocket = path.join(dir, 'qmp.sock');
  const startedAt = Date.now();
  const qemu = spawn(
    'qemu-system-x86_64',
    [
      '-accel', 'tcg',
      '-m', '256',
      '-nographic',
      '-nodefaults',
      '-no-reboot',
      '-serial', `file:${serialLog}`,
      '-kernel', guest.kernelPath,
      '-initrd', guest.ramdiskPath,
      '-append', 'root=/dev/vda console=tty0 console=ttyS0',
      '-drive', `file=${overlay},format=qcow2,if=virtio`,
      '-drive', `file=${iso},format=raw,if=ide,media=cdrom`,
      '-qmp', `unix:${qmpSocket},server=on,wait=off`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  qemu.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((resolve) => qemu.on('exit', (code) => resolve(code)));
  qemu.on('error', (e) => {
    stderr += String(e);
  });
  // Surface QEMU's own complaint if it dies at startup instead of timing out on markers.
  void exited.then((code) => {
    if (code !== 0 && stderr) testLogger.error({ code, stderr }, 'qemu exited');
  });
  return { qemu, exited, serialLog, qmpSocket, startedAt };
}

/** Entries of a newc cpio archive by name: enough to check what the initramfs carries. */
function readNewc(archive: Buffer): Map<string, Buffer> {
  const entries = new Map<string, Buffer>();
  const align = (n: number) => (n + 3) & ~3;
  let off = 0;
  for (;;) {
    assert.equal(archive.subarray(off, off + 6).toString('latin1'), '070701', `newc header at ${off}`);
    const fieldAt = (i: number) => Number.parseInt(archive.subarray(off + 6 + i * 8, off + 14 + i * 8).toString('latin1'), 16);
    const fileSize = fieldAt(6);
    const nameSize = fieldAt(11);
    const name = archive.subarray(off + 110, off + 110 + nameSize - 1).toString('utf8');
    const dataAt = align(off + 110 + nameSize);
    if (name === 'TRAILER!!!') return entries;
    entries.set(name, archive.subarray(dataAt, dataAt + fileSize));
    off = align(dataAt + fileSize);
  }
}

async function readLog(file: string): Promise<string> {
  return fs.readFile(file, 'latin1').catch(() => '');
}

/** Milliseconds from QEMU start until `marker` shows up in the serial log. */
async function waitForMarker(g: RunningGuest, marker: string, timeoutMs: number): Promise<number> {
  const deadline = g.startedAt + timeoutMs;
  let qemuGone = false;
  void g.exited.then(() => (qemuGone = true));
  for (;;) {
    if ((await readLog(g.serialLog)).includes(marker)) return Date.now() - g.startedAt;
    if (qemuGone) {
      assert.fail(`QEMU exited before "${marker}"; serial log tail:\n${(await readLog(g.serialLog)).slice(-3000)}`);
    }
    if (Date.now() > deadline) {
      assert.fail(`no "${marker}" within ${timeoutMs} ms; serial log tail:\n${(await readLog(g.serialLog)).slice(-3000)}`);
    }
    await sleep(100);
  }
}

/** Sends one QMP command (after the capabilities handshake) and resolves on its reply. */
async function qmp(socketPath: string, command: string): Promise<unknown> {
  const sock = net.createConnection(socketPath);
  try {
    return await new Promise((resolve, reject) => {
      let buf = '';
      let sentCommand = false;
      sock.on('error', reject);
      sock.on('data', (chunk: Buffer) => {
        buf += chunk.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const msg = JSON.parse(buf.slice(0, nl)) as Record<string, unknown>;
          buf = buf.slice(nl + 1);
          if ('QMP' in msg) sock.write(`${JSON.stringify({ execute: 'qmp_capabilities' })}\n`);
          else if ('error' in msg) reject(new Error(`QMP ${command}: ${JSON.stringify(msg.error)}`));
          else if ('return' in msg && !sentCommand) {
            sentCommand = true;
            sock.write(`${JSON.stringify({ execute: command })}\n`);
          } else if ('return' in msg) resolve(msg.return);
        }
      });
    });
  } finally {
    sock.destroy();
  }
}

async function waitForExit(g: RunningGuest, timeoutMs: number): Promise<number | null | 'timeout'> {
  // An abortable timer, so a guest that exits early does not leave the runner waiting out the timeout.
  const timer = new AbortController();
  try {
    return await Promise.race([
      g.exited,
      sleep(timeoutMs, 'timeout' as const, { signal: timer.signal }).catch(() => 'timeout' as const),
    ]);
  } finally {
    timer.abort();
  }
}

async function stopGuest(g: RunningGuest | null): Promise<void> {
  if (!g || g.qemu.exitCode !== null || g.qemu.signalCode !== null) return;
  g.qemu.kill('SIGKILL');
  await g.exited;
}

describe('Kilonova test guest', { skip }, () => {
  let workDir = '';
  let guest: TestGuestArtifacts;

  before(async () => {
    if (missing) throw new Error(`test guest prerequisites missing in CI: ${missing}`);
    workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kilonova-test-guest-'));
    const t0 = Date.now();
    // The shared cache keeps the kernel .deb across runs; only the guest itself is rebuilt here.
    guest = await buildTestGuest({ outputDir: path.join(workDir, 'guest'), cacheDir: TEST_GUEST_DEFAULT_CACHE_DIR, logger: testLogger });
    testLogger.info({ ms: Date.now() - t0 }, 'test guest built');
  });

  after(async () => {
    if (workDir) await fs.rm(workDir, { recursive: true, force: true });
  });

  test('build produces the cloud kernel, a gzip newc initramfs with the guest modules, and a small qcow2 root disk', async () => {
    assert.match(guest.kernelVersion, /^\d+\.\d+\.\d+-\d+-cloud-amd64$/);
    assert.equal(guest.diskFormat, 'qcow2');
    const kernel = await fs.readFile(guest.kernelPath);
    // bzImage boot-protocol signature "HdrS" at 0x202.
    assert.equal(kernel.subarray(0x202, 0x206).toString('latin1'), 'HdrS');

    const initramfs = readNewc(gunzipSync(await fs.readFile(guest.ramdiskPath)));
    for (const entry of ['init', 'bin/busybox', 'bin/sh', 'sbin/init', 'dev/console', 'etc/kilonova/modules.order']) {
      assert.ok(initramfs.has(entry), `initramfs lacks ${entry}`);
    }
    assert.match(initramfs.get('init')!.toString('utf8'), /switch_root/);
    for (const mod of ['virtio_pci', 'virtio_blk', 'ata_piix', 'sr_mod', 'isofs', 'button', 'evdev']) {
      const ko = initramfs.get(`lib/modules/${mod}.ko`);
      assert.ok(ko, `initramfs lacks module ${mod}`);
      // insmod needs the plain ELF object, not an .xz/.zst one.
      assert.equal(ko.subarray(0, 4).toString('latin1'), '\x7fELF', `${mod}.ko is not a plain ELF object`);
    }

    const { stdout } = await run('qemu-img', ['info', '-f', 'qcow2', '--output=json', guest.diskPath]);
    const info = JSON.parse(stdout) as { format: string; 'virtual-size': number; 'backing-filename'?: string };
    assert.equal(info.format, 'qcow2');
    assert.equal(info['virtual-size'], TEST_GUEST_DISK_SIZE_BYTES);
    assert.equal(info['backing-filename'], undefined);
  });

  test('modules load in dependency order (virtio core before virtio_pci, libata before ata_piix, cdrom before isofs)', async () => {
    const initramfs = readNewc(gunzipSync(await fs.readFile(guest.ramdiskPath)));
    const order = initramfs.get('etc/kilonova/modules.order')!.toString('utf8').split('\n').filter(Boolean);
    const loadsBefore = (a: string, b: string) =>
      assert.ok(order.indexOf(a) >= 0 && order.indexOf(a) < order.indexOf(b), `${a} must load before ${b}: ${order.join(',')}`);
    for (const name of order) assert.ok(initramfs.has(`lib/modules/${name}.ko`), `${name} is listed but not shipped`);
    loadsBefore('virtio_ring', 'virtio');
    loadsBefore('virtio', 'virtio_pci');
    loadsBefore('libata', 'ata_piix');
    loadsBefore('scsi_mod', 'sr_mod');
    loadsBefore('cdrom', 'isofs');
    assert.equal(new Set(order).size, order.length, 'each module once');
  });

  test('a second build of the same output directory reuses the cached artifacts', async () => {
    const paths = [guest.kernelPath, guest.ramdiskPath, guest.diskPath];
    const beforeStats = await Promise.all(paths.map((p) => fs.stat(p)));
    const t0 = Date.now();
    const again = await buildTestGuest({ outputDir: path.dirname(guest.diskPath), cacheDir: TEST_GUEST_DEFAULT_CACHE_DIR, logger: testLogger });
    const ms = Date.now() - t0;
    assert.deepEqual(again, guest);
    const afterStats = await Promise.all(paths.map((p) => fs.stat(p)));
    for (let i = 0; i < paths.length; i++) {
      assert.equal(afterStats[i].ino, beforeStats[i].ino, `${paths[i]} was replaced`);
      assert.equal(afterStats[i].mtimeMs, beforeStats[i].mtimeMs, `${paths[i]} was rewritten`);
    }
    testLogger.info({ ms }, 'warm test guest build');
  });

  test('a damaged artifact is rebuilt rather than returned from the cache', async () => {
    // A copy of the good build (manifest included), then a ramdisk cut short as if the build had died writing it.
    const outputDir = path.join(workDir, 'damaged');
    await fs.cp(path.dirname(guest.diskPath), outputDir, { recursive: true });
    const goodSize = (await fs.stat(guest.ramdiskPath)).size;
    await fs.truncate(path.join(outputDir, path.basename(guest.ramdiskPath)), 100);
    const rebuilt = await buildTestGuest({ outputDir, cacheDir: TEST_GUEST_DEFAULT_CACHE_DIR, logger: testLogger });
    assert.equal(path.dirname(rebuilt.ramdiskPath), outputDir);
    assert.equal((await fs.stat(rebuilt.ramdiskPath)).size, goodSize);
    const leftovers = (await fs.readdir(outputDir)).filter((f) => f.startsWith('.'));
    assert.deepEqual(leftovers, [], 'no temporary build files or lock left behind');
  });

  test('boots under TCG: boot marker, config-drive hostname, user_data output, ready; QMP system_powerdown powers it off', { timeout: 120_000 }, async (t) => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kilonova-tg-boot-'));
    let g: RunningGuest | null = null;
    try {
      const hostname = `tg-${randomBytes(3).toString('hex')}`;
      const userDataMarker = `USER-DATA-RAN-${randomBytes(6).toString('hex')}`;
      const iso = await makeConfigDrive(dir, hostname, `#!/bin/sh\necho ${userDataMarker}\n`);
      g = await bootGuest(guest, dir, iso);

      const bootedMs = await waitForMarker(g, TEST_GUEST_MARKERS.booted, 60_000);
      const readyMs = await waitForMarker(g, TEST_GUEST_MARKERS.ready, 60_000);
      t.diagnostic(`TCG: boot marker after ${bootedMs} ms, ready after ${readyMs} ms`);

      const log = await readLog(g.serialLog);
      assert.match(log, new RegExp(`${TEST_GUEST_MARKERS.booted} uptime=\\d+\\.\\d+ root=/dev/vda`), 'guest ran from the root disk, not the ramdisk fallback');
      // The serial tty turns \n into \r\n.
      assert.match(log, new RegExp(`${TEST_GUEST_MARKERS.hostnamePrefix}${hostname}\\r?\\n`), 'hostname from meta_data.json applied');
      assert.ok(log.includes(userDataMarker), 'user_data script ran with output on the console');
      assert.ok(log.includes(`${TEST_GUEST_MARKERS.userDataExitedPrefix}0`));
      assert.ok(log.indexOf(userDataMarker) < log.indexOf(TEST_GUEST_MARKERS.ready), 'ready comes after user_data');

      const pressedAt = Date.now();
      await qmp(g.qmpSocket, 'system_powerdown');
      const code = await waitForExit(g, 20_000);
      assert.notEqual(code, 'timeout', `QEMU still running 20 s after system_powerdown; log tail:\n${(await readLog(g.serialLog)).slice(-2000)}`);
      assert.equal(code, 0);
      t.diagnostic(`ACPI power button to QEMU exit: ${Date.now() - pressedAt} ms`);
      assert.ok((await readLog(g.serialLog)).includes(TEST_GUEST_MARKERS.powerButton));
    } finally {
      await stopGuest(g);
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  test('poweroff inside the guest (init signalled, no -f) stops the VM', { timeout: 120_000 }, async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kilonova-tg-poweroff-'));
    let g: RunningGuest | null = null;
    try {
      // Backgrounded so the guest first reaches ready, like a user typing poweroff later.
      const iso = await makeConfigDrive(dir, 'tg-poweroff', '#!/bin/sh\n(sleep 1; poweroff) &\n');
      g = await bootGuest(guest, dir, iso);
      await waitForMarker(g, TEST_GUEST_MARKERS.ready, 60_000);
      const code = await waitForExit(g, 20_000);
      assert.notEqual(code, 'timeout', 'QEMU did not exit after poweroff in the guest');
      assert.equal(code, 0);
      assert.ok((await readLog(g.serialLog)).includes(`${TEST_GUEST_MARKERS.poweringOff} reason=poweroff`));
    } finally {
      await stopGuest(g);
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
