/**
 * Writes a config drive (Nova's virt/configdrive.py ConfigDriveBuilder): the
 * metadata file tree laid out in a scratch directory and mastered into an
 * ISO 9660 image labelled config-2, which cloud-init and our test guest look for.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export type IsoTool = 'genisoimage' | 'xorriso';

/** The volume label guests search for (Nova's config drive v2). */
export const CONFIG_DRIVE_LABEL = 'config-2';

export interface MakeConfigDriveOptions {
  /** Use only this tool; by default genisoimage, then xorriso when genisoimage is not installed. */
  tool?: IsoTool;
  /** Where the scratch tree goes; the system temp directory by default. */
  tmpDir?: string;
  /** A wedged mastering tool must not hang a spawn forever. */
  timeoutMs?: number;
}

/** The config drive could not be built; `message` is safe to show the user as a fault. */
export class ConfigDriveError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigDriveError';
  }
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const MAX_SEGMENT = 255;
const MAX_PATH = 1024;

/**
 * Refuses any file name that could leave the drive's directory or confuse the
 * mastering tool: absolute paths, '.' and '..', empty segments, backslashes,
 * anything beyond letters, digits, '.', '_' and '-' (and no leading '.' or '-').
 */
export function validateConfigDrivePath(relPath: string): void {
  const refuse = (why: string): never => {
    throw new ConfigDriveError(`Invalid config drive file path ${JSON.stringify(relPath)}: ${why}.`);
  };
  if (relPath.length === 0) refuse('empty');
  if (relPath.length > MAX_PATH) refuse('too long');
  if (relPath.startsWith('/')) refuse('absolute');
  for (const segment of relPath.split('/')) {
    if (segment === '') refuse('empty segment');
    if (segment === '.' || segment === '..') refuse('relative segment');
    if (segment.length > MAX_SEGMENT) refuse('segment too long');
    if (!SEGMENT.test(segment)) refuse('unsafe characters');
  }
}

/** Nova's mkisofs flags (ISO names may be lowercase and have many dots; Joliet and Rock Ridge for long names). */
function mkisofsArgs(isoPath: string, treeDir: string): string[] {
  return [
    '-o', isoPath, '-ldots', '-allow-lowercase', '-allow-multidot', '-l',
    '-publisher', 'Kilonova', '-quiet', '-J', '-r', '-V', CONFIG_DRIVE_LABEL, treeDir,
  ];
}

function commandFor(tool: IsoTool, isoPath: string, treeDir: string): [string, string[]] {
  return tool === 'xorriso'
    ? ['xorriso', ['-as', 'mkisofs', ...mkisofsArgs(isoPath, treeDir)]]
    : ['genisoimage', mkisofsArgs(isoPath, treeDir)];
}

interface ToolFailure { missing: boolean; detail: string; cause: unknown }

function run(tool: IsoTool, isoPath: string, treeDir: string, timeoutMs: number): Promise<ToolFailure | null> {
  const [cmd, args] = commandFor(tool, isoPath, treeDir);
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } }, (err, _stdout, stderr) => {
      if (!err) return resolve(null);
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      resolve({ missing, detail: `${cmd} failed: ${String(stderr).trim() || err.message}`, cause: err });
    });
  });
}

async function writeTree(files: ReadonlyMap<string, Buffer>, treeDir: string): Promise<void> {
  const made = new Set<string>();
  for (const [relPath, data] of files) {
    const target = path.join(treeDir, ...relPath.split('/'));
    const dir = path.dirname(target);
    if (!made.has(dir)) {
      await fs.mkdir(dir, { recursive: true, mode: 0o755 });
      made.add(dir);
    }
    // 'wx': the scratch tree is fresh, so an existing entry means two keys collide.
    await fs.writeFile(target, data, { flag: 'wx', mode: 0o644 });
  }
}

/**
 * Masters `files` (paths relative to the drive's root) into an ISO at isoPath.
 * The image appears at isoPath only when complete; a failure leaves nothing
 * behind and throws ConfigDriveError.
 */
export async function makeConfigDrive(files: ReadonlyMap<string, Buffer>, isoPath: string, opts: MakeConfigDriveOptions = {}): Promise<void> {
  for (const relPath of files.keys()) validateConfigDrivePath(relPath);
  const tools: IsoTool[] = opts.tool ? [opts.tool] : ['genisoimage', 'xorriso'];
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const partial = path.join(path.dirname(isoPath), `.${path.basename(isoPath)}.${randomBytes(6).toString('hex')}.part`);
  let treeDir: string | undefined;
  try {
    treeDir = await fs.mkdtemp(path.join(opts.tmpDir ?? os.tmpdir(), 'kilonova-configdrive-'));
    try {
      await writeTree(files, treeDir);
    } catch (err) {
      throw new ConfigDriveError('Failed to write the config drive contents.', { cause: err });
    }
    let failure: ToolFailure | null = null;
    for (const tool of tools) {
      failure = await run(tool, partial, treeDir, timeoutMs);
      if (!failure?.missing) break;
    }
    if (failure?.missing) {
      throw new ConfigDriveError(`Cannot build the config drive: ${tools.join(' or ')} is not installed on the compute host.`, { cause: failure.cause });
    }
    if (failure) throw new ConfigDriveError('Failed to build the config drive image.', { cause: new Error(failure.detail, { cause: failure.cause }) });
    try {
      await fs.rename(partial, isoPath);
    } catch (err) {
      throw new ConfigDriveError('Failed to store the config drive image.', { cause: err });
    }
  } catch (err) {
    await fs.rm(partial, { force: true });
    if (err instanceof ConfigDriveError) throw err;
    throw new ConfigDriveError('Failed to build the config drive image.', { cause: err });
  } finally {
    if (treeDir) await fs.rm(treeDir, { recursive: true, force: true });
  }
}
