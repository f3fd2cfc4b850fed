/**
 * Builds the bootable test guest the libvirt driver's tests run: Debian's
 * cloud kernel, an initramfs with busybox and the few modules the guest
 * needs, and a tiny ext4 root disk as qcow2. Only Debian packages and host
 * tools are used, so it works where CirrOS cannot be downloaded.
 *
 * Builds are cached in the output directory under a manifest keyed by the
 * kernel package version and the content of everything we put in the
 * guest; artifacts are built under temporary names and renamed into place,
 * the manifest last, so an interrupted build is never mistaken for a
 * complete one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type pino from 'pino';
import { withBuildLock } from './build-lock.js';
import {
  ACPI_POWER_BUTTON_EVENT_PATH,
  ACPI_POWER_BUTTON_HANDLER,
  GUEST_PROGRAM,
  INITRAMFS_INIT,
  MODULE_DIR,
  MODULE_ORDER_FILE,
} from './guest-init.js';
import { REQUIRED_APPLETS, UDHCPC_SCRIPT, UDHCPC_SCRIPT_PATH } from './guest-network.js';
import { ImageTree, toNewcCpio } from './image-tree.js';
import { extractKernelDeb, fetchKernelDeb, KERNEL_META_PACKAGE, resolveKernelPackage, type KernelPackage } from './kernel-package.js';
import { resolveModuleLoadOrder, TEST_GUEST_MODULES } from './kernel-modules.js';
import { runCommand, TestGuestBuildError } from './run-command.js';

export { TEST_GUEST_MARKERS } from './markers.js';
export { TestGuestBuildError } from './run-command.js';

export interface TestGuestArtifacts {
  kernelPath: string;
  ramdiskPath: string;
  diskPath: string;
  diskFormat: 'qcow2';
  kernelVersion: string;
}

export interface BuildTestGuestOptions {
  outputDir: string;
  /** where the kernel .deb is kept; defaults to `<outputDir>/cache`. Share it between output dirs to download once. */
  cacheDir?: string;
  logger?: pino.Logger;
  /** a statically linked busybox (Debian busybox-static installs one at /bin/busybox) */
  busyboxPath?: string;
}

/** A cache directory that survives test runs, for callers that want to share the kernel download. */
export const TEST_GUEST_DEFAULT_CACHE_DIR = path.join(os.tmpdir(), 'kilonova-test-guest-cache');

/** Virtual size of the root disk: tiny, so it fits any flavor (and the driver may grow the overlay). */
export const TEST_GUEST_DISK_SIZE_BYTES = 64 * 1024 * 1024;

/** Bump when the build changes in a way the cache key would not otherwise notice. */
const BUILD_FORMAT = 1;

const ARTIFACTS = { kernel: 'vmlinuz', ramdisk: 'initrd.img', disk: 'disk.qcow2' } as const;
const MANIFEST = 'test-guest.manifest.json';
const LOCK = '.test-guest.lock';
const WORK_PREFIX = '.test-guest-build-';

interface Manifest {
  key: string;
  kernelPackage: string;
  kernelPackageVersion: string;
  kernelVersion: string;
  sizes: Record<keyof typeof ARTIFACTS, number>;
  builtAt: string;
}

function sha256(...parts: Array<string | Buffer>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** Refuses a busybox with an ELF interpreter: the guest has no libc, so it would die as PID 1. */
function assertStaticElf(bin: Buffer, file: string): void {
  const isElf64 = bin.length > 64 && bin.readUInt32BE(0) === 0x7f454c46 && bin[4] === 2 && bin[5] === 1;
  if (!isElf64) throw new TestGuestBuildError(`${file} is not a 64-bit little-endian ELF executable`, 'busybox');
  const phoff = Number(bin.readBigUInt64LE(0x20));
  const phentsize = bin.readUInt16LE(0x36);
  const phnum = bin.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const PT_INTERP = 3;
    if (bin.readUInt32LE(phoff + i * phentsize) === PT_INTERP) {
      throw new TestGuestBuildError(`${file} is dynamically linked; install busybox-static`, 'busybox');
    }
  }
}

function cacheKey(pkg: KernelPackage, busyboxHash: string): string {
  return sha256(
    JSON.stringify({
      format: BUILD_FORMAT,
      kernelPackage: pkg.name,
      kernelPackageVersion: pkg.version,
      busybox: busyboxHash,
      modules: TEST_GUEST_MODULES,
      diskSize: TEST_GUEST_DISK_SIZE_BYTES,
      scripts: sha256(INITRAMFS_INIT, '\0', GUEST_PROGRAM, '\0', ACPI_POWER_BUTTON_HANDLER, '\0', UDHCPC_SCRIPT),
    }),
  );
}

function artifactsIn(outputDir: string, kernelVersion: string): TestGuestArtifacts {
  return {
    kernelPath: path.join(outputDir, ARTIFACTS.kernel),
    ramdiskPath: path.join(outputDir, ARTIFACTS.ramdisk),
    diskPath: path.join(outputDir, ARTIFACTS.disk),
    diskFormat: 'qcow2',
    kernelVersion,
  };
}

/** The cached build, if the manifest matches `key` and every artifact is there at its recorded size. */
async function cachedBuild(outputDir: string, key: string): Promise<TestGuestArtifacts | null> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await fs.readFile(path.join(outputDir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return null;
  }
  if (manifest.key !== key) return null;
  for (const [which, name] of Object.entries(ARTIFACTS) as Array<[keyof typeof ARTIFACTS, string]>) {
    const st = await fs.stat(path.join(outputDir, name)).catch(() => null);
    if (!st?.isFile() || st.size !== manifest.sizes?.[which]) return null;
  }
  return artifactsIn(outputDir, manifest.kernelVersion);
}

/** Files and symlinks both the ramdisk and the root disk carry. */
async function baseTree(busybox: Buffer, busyboxPath: string): Promise<ImageTree> {
  const tree = new ImageTree();
  for (const d of ['/proc', '/sys', '/dev', '/run', '/mnt/config', '/root', '/var/log', '/etc']) tree.dir(d);
  tree.dir('/tmp', 0o1777);
  tree.file('/bin/busybox', busybox, 0o755);
  // Symlinks made here rather than `busybox --install` at boot: the root disk then works even without the ramdisk's help.
  const { stdout } = await runCommand(busyboxPath, ['--list-full'], { timeoutMs: 30_000 });
  const applets = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const lacking = REQUIRED_APPLETS.filter((a) => !applets.some((rel) => path.posix.basename(rel) === a));
  if (lacking.length > 0) {
    throw new TestGuestBuildError(`${busyboxPath} lacks the applets ${lacking.join(', ')} the guest needs; install Debian's busybox-static`, 'busybox');
  }
  for (const rel of applets) {
    const p = `/${rel}`;
    if (p === '/bin/busybox' || p === '/sbin/init' || p === '/init' || p === '/linuxrc') continue;
    tree.symlink(p, '/bin/busybox');
  }
  tree.file('/sbin/init', GUEST_PROGRAM, 0o755);
  tree.file(ACPI_POWER_BUTTON_EVENT_PATH, ACPI_POWER_BUTTON_HANDLER, 0o755);
  tree.file(UDHCPC_SCRIPT_PATH, UDHCPC_SCRIPT, 0o755);
  tree.file('/etc/hostname', 'kilonova-test-guest\n');
  return tree;
}

async function buildRamdisk(tree: ImageTree, modules: Array<{ name: string; data: Buffer }>, out: string): Promise<void> {
  tree.file('/init', INITRAMFS_INIT, 0o755);
  tree.dir('/newroot');
  // The kernel opens /dev/console for init before anything mounts devtmpfs.
  tree.chardev('/dev/console', 5, 1, 0o600);
  for (const m of modules) tree.file(`${MODULE_DIR}/${m.name}.ko`, m.data, 0o644);
  tree.file(MODULE_ORDER_FILE, modules.map((m) => `${m.name}\n`).join(''));
  await fs.writeFile(out, gzipSync(toNewcCpio(tree), { level: 9 }));
}

async function buildRootDisk(tree: ImageTree, workDir: string, out: string): Promise<void> {
  const rootDir = path.join(workDir, 'rootfs');
  const raw = path.join(workDir, 'disk.raw');
  await tree.materialise(rootDir);
  await fs.writeFile(raw, '');
  await fs.truncate(raw, TEST_GUEST_DISK_SIZE_BYTES);
  // -d populates the filesystem from a directory, so no loop mount (or privileges) is needed.
  await runCommand('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', 'kilonova-root', '-E', 'root_owner=0:0', '-d', rootDir, raw]);
  await runCommand('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, out]);
}

async function build(
  pkg: KernelPackage,
  key: string,
  busybox: Buffer,
  opts: Required<Pick<BuildTestGuestOptions, 'outputDir' | 'cacheDir' | 'busyboxPath'>> & { logger?: pino.Logger },
): Promise<TestGuestArtifacts> {
  const { outputDir, logger } = opts;
  const deb = await fetchKernelDeb(pkg, opts.cacheDir, logger);
  const workDir = path.join(outputDir, `${WORK_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(workDir, { recursive: true });
  try {
    const { kernelPath, kernelVersion } = await extractKernelDeb(deb, path.join(workDir, 'pkg'), pkg);
    const modules = await resolveModuleLoadOrder(path.join(workDir, 'pkg'), kernelVersion);
    logger?.debug({ kernelVersion, modules: modules.map((m) => m.name) }, 'test guest: module load order');

    const staged = {
      kernel: path.join(workDir, ARTIFACTS.kernel),
      ramdisk: path.join(workDir, ARTIFACTS.ramdisk),
      disk: path.join(workDir, ARTIFACTS.disk),
    };
    await fs.copyFile(kernelPath, staged.kernel);
    await buildRamdisk(await baseTree(busybox, opts.busyboxPath), modules, staged.ramdisk);
    await buildRootDisk(await baseTree(busybox, opts.busyboxPath), workDir, staged.disk);

    const sizes = {} as Manifest['sizes'];
    for (const which of Object.keys(ARTIFACTS) as Array<keyof typeof ARTIFACTS>) {
      sizes[which] = (await fs.stat(staged[which])).size;
    }
    // Manifest out first, artifacts in, manifest back last: at no point does a manifest vouch for a mix.
    await fs.rm(path.join(outputDir, MANIFEST), { force: true });
    for (const which of Object.keys(ARTIFACTS) as Array<keyof typeof ARTIFACTS>) {
      await fs.chmod(staged[which], 0o644);
      await fs.rename(staged[which], path.join(outputDir, ARTIFACTS[which]));
    }
    const manifest: Manifest = {
      key,
      kernelPackage: pkg.name,
      kernelPackageVersion: pkg.version,
      kernelVersion,
      sizes,
      builtAt: new Date().toISOString(),
    };
    const tmpManifest = path.join(workDir, MANIFEST);
    await fs.writeFile(tmpManifest, `${JSON.stringify(manifest, null, 2)}\n`);
    await fs.rename(tmpManifest, path.join(outputDir, MANIFEST));
    logger?.info({ outputDir, kernelVersion, sizes }, 'test guest: built');
    return artifactsIn(outputDir, kernelVersion);
  } finally {
    await fs.rm(workDir, { recursive: true, force: true });
  }
}

/**
 * Returns the test guest in `outputDir`, building it first unless a build
 * from the same kernel package version and guest content is already there.
 */
export async function buildTestGuest(opts: BuildTestGuestOptions): Promise<TestGuestArtifacts> {
  const outputDir = path.resolve(opts.outputDir);
  const cacheDir = path.resolve(opts.cacheDir ?? path.join(outputDir, 'cache'));
  const busyboxPath = opts.busyboxPath ?? '/bin/busybox';
  const logger = opts.logger;
  await fs.mkdir(outputDir, { recursive: true });

  return withBuildLock(path.join(outputDir, LOCK), async () => {
    // Holding the lock, any work directory left behind is from a build that died.
    for (const f of await fs.readdir(outputDir)) {
      if (f.startsWith(WORK_PREFIX)) await fs.rm(path.join(outputDir, f), { recursive: true, force: true });
    }
    const busybox = await fs.readFile(busyboxPath).catch((e: Error) => {
      throw new TestGuestBuildError(`cannot read ${busyboxPath} (${e.message}); install busybox-static`, 'busybox');
    });
    assertStaticElf(busybox, busyboxPath);
    const busyboxHash = sha256(busybox);

    // apt-get update at most once per build: when lists are missing the lookup fails,
    // when they are stale the download 404s. Either way refresh and look again.
    let updated = false;
    const retryAfterAptUpdate = async <T>(fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (e) {
        if (updated || !(e instanceof TestGuestBuildError) || !e.step.startsWith('apt')) throw e;
        updated = true;
        logger?.info({ err: e.message }, 'test guest: apt failed; running apt-get update once and retrying');
        await runCommand('apt-get', ['update'], { timeoutMs: 600_000 });
        return fn();
      }
    };

    const pkg = await retryAfterAptUpdate(() => resolveKernelPackage(KERNEL_META_PACKAGE));
    const cached = await cachedBuild(outputDir, cacheKey(pkg, busyboxHash));
    if (cached) {
      logger?.debug({ outputDir, kernelVersion: cached.kernelVersion }, 'test guest: using cached build');
      return cached;
    }
    return retryAfterAptUpdate(async () => {
      // After an update the candidate may have moved on, so resolve again.
      const current = updated ? await resolveKernelPackage(KERNEL_META_PACKAGE) : pkg;
      return build(current, cacheKey(current, busyboxHash), busybox, { outputDir, cacheDir, busyboxPath, logger });
    });
  });
}
