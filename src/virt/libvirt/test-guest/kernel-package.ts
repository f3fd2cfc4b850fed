/**
 * Finds, downloads and unpacks the Debian cloud kernel for the test guest.
 *
 * linux-image-cloud-amd64 is a meta-package; its candidate version depends
 * on exactly one concrete linux-image-<abi>-cloud-amd64 at an exact version.
 * That concrete package+version is the cache key for everything built from
 * it, and the downloaded .deb is kept so later builds work without the
 * mirror.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type pino from 'pino';
import { runCommand, TestGuestBuildError } from './run-command.js';

export const KERNEL_META_PACKAGE = 'linux-image-cloud-amd64';

export interface KernelPackage {
  /** e.g. linux-image-6.1.0-56-cloud-amd64 */
  name: string;
  /** Debian version, e.g. 6.1.192-2 */
  version: string;
  /** the uname -r it installs, e.g. 6.1.0-56-cloud-amd64 */
  kernelVersion: string;
}

const PACKAGE_NAME = /^[a-z0-9][a-z0-9.+-]*$/;
const DEBIAN_VERSION = /^[0-9A-Za-z.+~:-]+$/;

/** The first "Field: value" of an apt-cache show record. */
function field(record: string, name: string): string | null {
  const m = new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(record);
  return m ? m[1].trim() : null;
}

async function aptShowCandidate(pkg: string): Promise<string> {
  // --no-all-versions: only the candidate's record, i.e. what apt-get would install.
  const { stdout } = await runCommand('apt-cache', ['show', '--no-all-versions', pkg], { timeoutMs: 60_000 });
  if (!stdout.trim()) throw new TestGuestBuildError(`apt-cache knows no candidate for ${pkg}`, 'apt-cache show');
  return stdout;
}

/** Resolves the meta-package to the concrete kernel package apt would install now. */
export async function resolveKernelPackage(metaPackage = KERNEL_META_PACKAGE): Promise<KernelPackage> {
  const meta = await aptShowCandidate(metaPackage);
  const depends = field(meta, 'Depends') ?? '';
  let name: string | null = null;
  let version: string | null = null;
  for (const alternative of depends.split(/[,|]/)) {
    const m = /^\s*(linux-image-[a-z0-9.+-]+)\s*(?:\(\s*=\s*([^)\s]+)\s*\))?\s*$/.exec(alternative);
    if (m && m[1] !== metaPackage) {
      name = m[1];
      version = m[2] ?? null;
      break;
    }
  }
  if (!name) throw new TestGuestBuildError(`${metaPackage} depends on no linux-image package (Depends: ${depends})`, 'apt-cache show');
  if (!version) version = field(await aptShowCandidate(name), 'Version');
  if (!version || !PACKAGE_NAME.test(name) || !DEBIAN_VERSION.test(version)) {
    throw new TestGuestBuildError(`cannot tell which version of ${name} to use`, 'apt-cache show');
  }
  return { name, version, kernelVersion: name.replace(/^linux-image-/, '') };
}

function cachedDebName(pkg: KernelPackage): string {
  // apt's own naming, with the epoch colon escaped the way apt-get download does.
  return `${pkg.name}_${pkg.version.replace(/:/g, '%3a')}_amd64.deb`;
}

async function debIdentity(file: string): Promise<{ name: string; version: string } | null> {
  try {
    const { stdout } = await runCommand('dpkg-deb', ['-f', file, 'Package', 'Version'], { timeoutMs: 60_000 });
    return { name: field(stdout, 'Package') ?? '', version: field(stdout, 'Version') ?? '' };
  } catch {
    return null;
  }
}

/**
 * The package's .deb in `cacheDir`, downloaded if not already there.
 * apt-get download runs in a private scratch directory and the file is
 * renamed in only once complete, so parallel builds sharing a cache never
 * see a partial download.
 */
export async function fetchKernelDeb(pkg: KernelPackage, cacheDir: string, logger?: pino.Logger): Promise<string> {
  await fs.mkdir(cacheDir, { recursive: true });
  const target = path.join(cacheDir, cachedDebName(pkg));
  const existing = await debIdentity(target);
  if (existing && existing.name === pkg.name && existing.version === pkg.version) {
    logger?.debug({ deb: target }, 'test guest: kernel package already downloaded');
    return target;
  }
  const scratch = path.join(cacheDir, `.download-${process.pid}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(scratch, { recursive: true });
  try {
    logger?.info({ pkg: pkg.name, version: pkg.version }, 'test guest: downloading kernel package');
    // cwd: apt-get download always writes into the current directory.
    await runCommand('apt-get', ['download', `${pkg.name}=${pkg.version}`], { cwd: scratch, timeoutMs: 600_000 });
    const debs = (await fs.readdir(scratch)).filter((f) => f.endsWith('.deb'));
    if (debs.length !== 1) throw new TestGuestBuildError(`apt-get download left ${debs.length} .deb files`, 'apt-get download');
    const got = await debIdentity(path.join(scratch, debs[0]));
    if (!got || got.name !== pkg.name || got.version !== pkg.version) {
      throw new TestGuestBuildError(`downloaded ${debs[0]} is not ${pkg.name} ${pkg.version}`, 'apt-get download');
    }
    await fs.rename(path.join(scratch, debs[0]), target);
    return target;
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/** Unpacks the .deb into `dir`; returns its kernel image and the uname -r that image belongs to. */
export async function extractKernelDeb(deb: string, dir: string, pkg: KernelPackage): Promise<{ kernelPath: string; kernelVersion: string }> {
  await fs.mkdir(dir, { recursive: true });
  await runCommand('dpkg-deb', ['-x', deb, dir], { timeoutMs: 300_000 });
  const boot = path.join(dir, 'boot');
  const images = (await fs.readdir(boot).catch(() => [] as string[])).filter((f) => f.startsWith('vmlinuz-'));
  const expected = `vmlinuz-${pkg.kernelVersion}`;
  const image = images.includes(expected) ? expected : images.length === 1 ? images[0] : null;
  if (image) return { kernelPath: path.join(boot, image), kernelVersion: image.slice('vmlinuz-'.length) };
  throw new TestGuestBuildError(`${path.basename(deb)} has no boot/${expected} (found: ${images.join(', ') || 'nothing'})`, 'dpkg-deb -x');
}
