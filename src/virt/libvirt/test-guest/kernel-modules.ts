/**
 * Picks the kernel modules the test guest needs out of an extracted Debian
 * kernel package and orders them so each loads after what it depends on.
 *
 * Debian's linux-image packages do not ship modules.dep (depmod runs in the
 * postinst), so dependencies are read from each module's own .modinfo
 * section ("depends=a,b"), which is what depmod itself uses.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runCommand, TestGuestBuildError } from './run-command.js';

/**
 * What the guest has to reach on the 'pc' machine type the driver (like
 * Nova) uses: virtio disks and NICs, the config drive as an IDE cdrom
 * (PIIX), iso9660 to read it, and the ACPI power button delivered through
 * evdev so `virsh shutdown` / QMP system_powerdown reach acpid.
 */
export const TEST_GUEST_MODULES: readonly string[] = [
  'virtio_pci',
  'virtio_blk',
  'virtio_net',
  'virtio_scsi',
  'sd_mod',
  'ata_piix',
  'sr_mod',
  'isofs',
  'button',
  'evdev',
];

export interface LoadableModule {
  /** canonical name, '-' folded to '_' as the kernel does */
  name: string;
  /** uncompressed ELF object */
  data: Buffer;
}

/** Module names the kernel treats as equal: it folds '-' to '_'. */
function canonical(name: string): string {
  return name.replace(/-/g, '_');
}

const MODULE_FILE = /^(.*)\.ko(\.xz|\.zst|\.gz)?$/;

async function walk(dir: string, found: Map<string, string>): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) await walk(p, found);
    else {
      const m = MODULE_FILE.exec(entry.name);
      if (m) found.set(canonical(m[1]), p);
    }
  }
}

async function readModule(file: string): Promise<Buffer> {
  if (file.endsWith('.ko')) return fs.readFile(file);
  if (file.endsWith('.ko.gz')) return gunzipSync(await fs.readFile(file));
  // busybox insmod only takes plain objects, so compressed modules are unpacked here at build time.
  const tool = file.endsWith('.ko.xz') ? 'xz' : 'zstd';
  const { stdoutBuffer } = await runCommand(tool, ['-dc', '--', file], { binaryStdout: true });
  return stdoutBuffer;
}

/** The `depends=` list from a module's .modinfo strings. */
export function modinfoDepends(object: Buffer): string[] {
  const key = Buffer.from('\0depends=', 'latin1');
  const at = object.indexOf(key);
  if (at < 0) return [];
  const start = at + key.length;
  const end = object.indexOf(0, start);
  const value = object.subarray(start, end < 0 ? undefined : end).toString('latin1');
  return value.split(',').map((s) => canonical(s.trim())).filter((s) => s.length > 0);
}

async function builtinModules(modulesRoot: string): Promise<Set<string>> {
  try {
    const text = await fs.readFile(path.join(modulesRoot, 'modules.builtin'), 'utf8');
    return new Set(
      text
        .split('\n')
        .map((l) => MODULE_FILE.exec(path.basename(l.trim()))?.[1])
        .filter((n): n is string => !!n)
        .map(canonical),
    );
  } catch {
    return new Set();
  }
}

/**
 * Resolves `wanted` (and everything they depend on) under
 * `<root>/lib/modules/<kernelVersion>` into a load order: dependencies
 * first, each module once. Modules built into the kernel are skipped.
 */
export async function resolveModuleLoadOrder(
  extractedPackageRoot: string,
  kernelVersion: string,
  wanted: readonly string[] = TEST_GUEST_MODULES,
): Promise<LoadableModule[]> {
  const modulesRoot = path.join(extractedPackageRoot, 'lib', 'modules', kernelVersion);
  const files = new Map<string, string>();
  try {
    await walk(path.join(modulesRoot, 'kernel'), files);
  } catch (e) {
    throw new TestGuestBuildError(`kernel package has no modules for ${kernelVersion} (${(e as Error).message})`, 'modules');
  }
  const builtin = await builtinModules(modulesRoot);

  const order: LoadableModule[] = [];
  const done = new Set<string>();
  const inProgress = new Set<string>();

  const visit = async (rawName: string, requiredBy: string | null): Promise<void> => {
    const name = canonical(rawName);
    if (done.has(name)) return;
    if (inProgress.has(name)) throw new TestGuestBuildError(`module dependency cycle through ${name}`, 'modules');
    const file = files.get(name);
    if (!file) {
      if (builtin.has(name)) {
        done.add(name);
        return;
      }
      const why = requiredBy ? ` (needed by ${requiredBy})` : '';
      throw new TestGuestBuildError(`kernel ${kernelVersion} has no module ${name}${why}`, 'modules');
    }
    inProgress.add(name);
    const data = await readModule(file);
    for (const dep of modinfoDepends(data)) await visit(dep, name);
    inProgress.delete(name);
    done.add(name);
    order.push({ name, data });
  };

  for (const name of wanted) await visit(name, null);
  return order;
}
