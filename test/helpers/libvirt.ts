/**
 * What tests of real guests share: whether this machine can run them, where
 * the test guest is built (once per machine: the kernel download and build
 * are cached), and what libvirt and the instances directory still hold.
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buildTestGuest } from '../../src/virt/libvirt/test-guest/build.js';
import { openDatabase } from '../../src/db/database.js';
import { syncDatabase } from '../../src/db/migrate.js';
import { imageMigrations } from '../../src/image/migrations.js';
import { ImageService } from '../../src/image/service.js';
import { FileImageStore } from '../../src/image/store/file/store.js';
import type { ImageMeta } from '../../src/objects/image-meta.js';
import { TEST_AUTH } from './auth.js';
import { testLogger } from './logger.js';

const libvirtAnswers = spawnSync('virsh', ['-c', 'qemu:///system', 'version', '--daemon'], { stdio: 'ignore', timeout: 10_000 }).status === 0;

/**
 * Skip reason for real-guest tests, or false. In CI the test command sets the
 * host up (scripts/setup-libvirt-host.sh), so there a missing libvirtd fails.
 */
export const skipWithoutLibvirt: string | false = !libvirtAnswers && process.env.CI !== 'true'
  ? 'libvirtd does not answer on qemu:///system (run scripts/setup-libvirt-host.sh as root)'
  : false;

/**
 * [DEFAULT] instance_name_template for a test cloud of real guests. libvirtd is the
 * machine's: two clouds that both number from instance-00000001 (another run's, or a
 * domain an interrupted run left) would collide on a domain name.
 */
export function uniqueInstanceNameTemplate(): string {
  return `kn-${randomBytes(3).toString('hex')}-%08x`;
}

/** Where the test guest is built and cached across test runs. */
export function testGuestDir(): string {
  return process.env.KILONOVA_TEST_GUEST_DIR ?? path.join(os.tmpdir(), 'kilonova-test-guest');
}

/** Every domain libvirt knows, by UUID. */
export function libvirtDomainUuids(): string[] {
  const r = spawnSync('virsh', ['-q', '-c', 'qemu:///system', 'list', '--all', '--uuid'], { encoding: 'utf8' });
  return r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}

/** Files left under an instances directory for `uuid` (empty when clean). */
export function leftoverFiles(instancesPath: string, uuid: string): string[] {
  const dir = path.join(instancesPath, uuid);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).map((f) => path.join(dir, f)).concat(dir);
}

export function virsh(...args: string[]): string {
  const r = spawnSync('virsh', ['-q', '-c', 'qemu:///system', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`virsh ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/**
 * The test guest in a real image service (SQLite + file store), for the
 * libvirt driver: a UEC image whose kernel and ramdisk are images too.
 */
export async function testGuestImages(dir: string): Promise<{ images: ImageService; image: ImageMeta; close(): Promise<void> }> {
  const guest = await buildTestGuest({ outputDir: testGuestDir() });
  const db = openDatabase(`sqlite:///${dir}/image.db`);
  await syncDatabase(db.db, [imageMigrations]);
  const images = new ImageService({ db: db.db, store: new FileImageStore(path.join(dir, 'images')), logger: testLogger });
  const add = async (name: string, file: string, format: string, props: Record<string, string> = {}) => {
    const rec = await images.createImage({ name, disk_format: format, container_format: format === 'qcow2' ? 'bare' : format, ...props }, TEST_AUTH.admin);
    await images.uploadImageData(rec.id, Readable.from(fs.createReadStream(file)), TEST_AUTH.admin);
    return rec.id;
  };
  const kernel = await add('kernel', guest.kernelPath, 'aki');
  const ramdisk = await add('ramdisk', guest.ramdiskPath, 'ari');
  const properties = { kernel_id: kernel, ramdisk_id: ramdisk };
  const id = await add('guest', guest.diskPath, 'qcow2', properties);
  return {
    images,
    image: { id, name: 'guest', disk_format: 'qcow2', container_format: 'bare', size: fs.statSync(guest.diskPath).size, min_disk: 0, min_ram: 0, properties },
    close: () => db.close(),
  };
}
